"""OCPP 1.6 requests for each version-neutral command."""

from django.utils import timezone
from ocpp.v16 import call

from stations.metering import format_timestamp
from stations.ocpp.requests import CommandError, Request, choice, integer, require, required_int
from stations.services.passwords import password_string_error

RESET = {"soft": "Soft", "hard": "Hard"}
AVAILABILITY = {"operative": "Operative", "inoperative": "Inoperative"}
PURPOSE = {"tx_default": "TxDefaultProfile", "tx": "TxProfile", "max": "ChargePointMaxProfile"}
KIND = {"absolute": "Absolute", "recurring": "Recurring", "relative": "Relative"}
RECURRENCY = {None: None, "daily": "Daily", "weekly": "Weekly"}
UPDATE_TYPE = {"full": "Full", "differential": "Differential"}
UNIT = {"W": "W", "A": "A"}
TRIGGERS = {
    name: name
    for name in (
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    )
}
TOKEN_STATUS = {
    "accepted": "Accepted",
    "blocked": "Blocked",
    "expired": "Expired",
    "invalid": "Invalid",
}


def reserve_now(p: dict) -> Request:
    if p.get("connector_type"):
        raise CommandError(
            "OCPP 1.6 cannot reserve a connector type.",
            {"connector_type": "OCPP 1.6 has no connector types: reserve a connector_id."},
        )
    return Request(
        call.ReserveNow(
            connector_id=integer(p, "connector_id", 0),
            expiry_date=require(p, "expires_at")[0],
            id_tag=require(p, "id_tag")[0],
            reservation_id=required_int(p, "reservation_id"),
            parent_id_tag=p.get("parent_id_tag"),
        )
    )


def charging_profile(profile: dict) -> dict:
    """A neutral charging profile (see stations.commands.service) in 1.6 shape."""
    (schedule,) = require(profile, "schedule")
    result = {
        "charging_profile_id": integer(profile, "id"),
        "stack_level": integer(profile, "stack_level", 0),
        "charging_profile_purpose": choice(profile, "purpose", PURPOSE),
        "charging_profile_kind": choice(profile, "kind", KIND, "absolute"),
        "recurrency_kind": choice(profile, "recurrency", RECURRENCY),
        "valid_from": profile.get("valid_from"),
        "valid_to": profile.get("valid_to"),
        "transaction_id": integer(profile, "transaction_id"),
        "charging_schedule": {
            "charging_rate_unit": choice(schedule, "unit", UNIT, "W"),
            "charging_schedule_period": [
                {
                    "start_period": integer(period, "start_period", 0),
                    "limit": float(period["limit"]),
                    "number_phases": integer(period, "number_phases"),
                }
                for period in schedule.get("periods") or []
            ],
            "duration": integer(schedule, "duration"),
            "start_schedule": schedule.get("start"),
            "min_charging_rate": schedule.get("min_rate"),
        },
    }
    return result


def remote_start(p):
    (id_tag,) = require(p, "id_tag")
    profile = charging_profile(p["charging_profile"]) if p.get("charging_profile") else None
    return Request(
        call.RemoteStartTransaction(
            id_tag=id_tag, connector_id=integer(p, "connector_id"), charging_profile=profile
        )
    )


def local_list_entry(entry: dict) -> dict:
    info = None
    if entry.get("status"):
        info = {
            "status": choice(entry, "status", TOKEN_STATUS),
            "expiry_date": entry.get("expires_at"),
            "parent_id_tag": entry.get("parent"),
        }
    return {"id_tag": entry["value"], "id_tag_info": info}


# 1.6 security whitepaper: the Basic-auth password is at most 20 bytes, and the
# AuthorizationKey configuration key holds them hex-encoded (up to 40 hex digits).
AUTHORIZATION_KEY_BYTES = 20


def rotate_password(p):
    (password,) = require(p, "password")
    error = password_string_error(password, AUTHORIZATION_KEY_BYTES)
    if error:
        raise CommandError("Invalid parameter.", {"password": error})
    return Request(
        call.ChangeConfiguration(key="AuthorizationKey", value=password.encode("ascii").hex())
    )


BUILDERS = {
    "remote_start": remote_start,
    "remote_stop": lambda p: Request(
        call.RemoteStopTransaction(transaction_id=required_int(p, "transaction_id"))
    ),
    "reset": lambda p: Request(call.Reset(type=choice(p, "type", RESET, "soft"))),
    "unlock_connector": lambda p: Request(
        call.UnlockConnector(connector_id=required_int(p, "connector_id"))
    ),
    "change_availability": lambda p: Request(
        call.ChangeAvailability(
            connector_id=integer(p, "connector_id", 0), type=choice(p, "type", AVAILABILITY)
        )
    ),
    "get_configuration": lambda p: Request(
        call.GetConfiguration(key=list(p.get("keys") or []) or None)
    ),
    "set_configuration": lambda p: Request(
        call.ChangeConfiguration(*(str(v) for v in require(p, "key", "value")))
    ),
    "trigger_message": lambda p: Request(
        call.TriggerMessage(
            requested_message=choice(p, "message", TRIGGERS),
            connector_id=integer(p, "connector_id"),
        ),
        expects=(p.get("message"),),
    ),
    "clear_cache": lambda p: Request(call.ClearCache()),
    "data_transfer": lambda p: Request(
        call.DataTransfer(
            vendor_id=require(p, "vendor_id")[0],
            message_id=p.get("message_id"),
            data=None if p.get("data") is None else str(p["data"]),
        )
    ),
    "update_firmware": lambda p: Request(
        call.UpdateFirmware(
            location=require(p, "location")[0],
            retrieve_date=p.get("retrieve_date") or format_timestamp(timezone.now()),
            retries=integer(p, "retries"),
            retry_interval=integer(p, "retry_interval"),
        )
    ),
    "get_diagnostics": lambda p: Request(
        call.GetDiagnostics(
            location=require(p, "location")[0],
            retries=integer(p, "retries"),
            retry_interval=integer(p, "retry_interval"),
            start_time=p.get("start_time"),
            stop_time=p.get("stop_time"),
        )
    ),
    "reserve_now": reserve_now,
    "cancel_reservation": lambda p: Request(
        call.CancelReservation(reservation_id=required_int(p, "reservation_id"))
    ),
    "set_charging_profile": lambda p: Request(
        call.SetChargingProfile(
            connector_id=integer(p, "connector_id", 0),
            cs_charging_profiles=charging_profile(require(p, "charging_profile")[0]),
        )
    ),
    "clear_charging_profile": lambda p: Request(
        call.ClearChargingProfile(
            id=integer(p, "id"),
            connector_id=integer(p, "connector_id"),
            charging_profile_purpose=choice(p, "purpose", {None: None, **PURPOSE}),
            stack_level=integer(p, "stack_level"),
        )
    ),
    "get_composite_schedule": lambda p: Request(
        call.GetCompositeSchedule(
            connector_id=integer(p, "connector_id", 0),
            duration=required_int(p, "duration"),
            charging_rate_unit=choice(p, "unit", {None: None, **UNIT}),
        )
    ),
    "send_local_list": lambda p: Request(
        call.SendLocalList(
            list_version=required_int(p, "list_version"),
            update_type=choice(p, "update_type", UPDATE_TYPE, "full"),
            local_authorization_list=[local_list_entry(e) for e in p.get("entries") or []],
        )
    ),
    "get_local_list_version": lambda p: Request(call.GetLocalListVersion()),
    "rotate_password": rotate_password,
}
