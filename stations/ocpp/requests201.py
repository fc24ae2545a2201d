"""OCPP 2.0.1 / 2.1 requests for each version-neutral command."""

import itertools
import time

from stations.ocpp.requests import CommandError, Request, choice, integer, require, required_int
from stations.services.passwords import password_string_error

RESET = {"soft": "OnIdle", "hard": "Immediate"}
AVAILABILITY = {"operative": "Operative", "inoperative": "Inoperative"}
PURPOSE = {
    "tx_default": "TxDefaultProfile",
    "tx": "TxProfile",
    "max": "ChargingStationMaxProfile",
}
KIND = {"absolute": "Absolute", "recurring": "Recurring", "relative": "Relative"}
RECURRENCY = {None: None, "daily": "Daily", "weekly": "Weekly"}
UPDATE_TYPE = {"full": "Full", "differential": "Differential"}
UNIT = {"W": "W", "A": "A"}
# 1.6 message names callers use, and their 2.0.1 equivalents.
TRIGGERS = {
    "BootNotification": "BootNotification",
    "Heartbeat": "Heartbeat",
    "MeterValues": "MeterValues",
    "StatusNotification": "StatusNotification",
    "FirmwareStatusNotification": "FirmwareStatusNotification",
    "DiagnosticsStatusNotification": "LogStatusNotification",
    "LogStatusNotification": "LogStatusNotification",
    "TransactionEvent": "TransactionEvent",
    "PublishFirmwareStatusNotification": "PublishFirmwareStatusNotification",
    "SignChargingStationCertificate": "SignChargingStationCertificate",
    "SignV2GCertificate": "SignV2GCertificate",
}
# A triggered certificate renewal comes as a SignCertificate request (A02, A03).
TRIGGERED = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
}
TOKEN_STATUS = {
    "accepted": "Accepted",
    "blocked": "Blocked",
    "expired": "Expired",
    "invalid": "Invalid",
}
# A00.FR.205: BasicAuthPassword's maxLimit is at least 40, so 40 fits every station.
BASIC_AUTH_PASSWORD_MAX = 40
_request_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)


def request_id(params: dict) -> int:
    """Ids for requests whose answers arrive later (reports, logs, firmware)."""
    return integer(params, "request_id") or next(_request_ids)


def id_token(value: str, type_: str | None = None) -> dict:
    return {"id_token": value, "type": type_ or "ISO14443"}


def evse(params: dict) -> dict | None:
    if params.get("evse_id") is None:
        return None
    return {"id": integer(params, "evse_id"), "connector_id": integer(params, "evse_connector_id")}


def charging_profile(profile: dict) -> dict:
    """A neutral charging profile (see stations.commands.service) in 2.0.1 shape."""
    (schedule,) = require(profile, "schedule")
    return {
        "id": required_int(profile, "id"),
        "stack_level": integer(profile, "stack_level", 0),
        "charging_profile_purpose": choice(profile, "purpose", PURPOSE),
        "charging_profile_kind": choice(profile, "kind", KIND, "absolute"),
        "recurrency_kind": choice(profile, "recurrency", RECURRENCY),
        "valid_from": profile.get("valid_from"),
        "valid_to": profile.get("valid_to"),
        "transaction_id": profile.get("transaction_id"),
        "charging_schedule": [
            {
                "id": integer(schedule, "id", 1),
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
            }
        ],
    }


def local_list_entry(entry: dict) -> dict:
    info = None
    if entry.get("status"):
        info = {
            "status": choice(entry, "status", TOKEN_STATUS),
            "cache_expiry_date_time": entry.get("expires_at"),
            "group_id_token": id_token(entry["parent"]) if entry.get("parent") else None,
        }
    return {"id_token": id_token(entry["value"], entry.get("type")), "id_token_info": info}


def builders(call) -> dict:
    """The builders for a 2.x `call` module (2.0.1 and 2.1 share these messages)."""

    def remote_start(p):
        (tag,) = require(p, "id_tag")
        profile = charging_profile(p["charging_profile"]) if p.get("charging_profile") else None
        return Request(
            call.RequestStartTransaction(
                id_token=id_token(tag, p.get("id_token_type")),
                remote_start_id=required_int(p, "remote_start_id"),
                evse_id=integer(p, "evse_id"),
                charging_profile=profile,
            )
        )

    def reserve_now(p):
        # A connector type (ConnectorEnumType, e.g. cType2) reserves any connector of
        # that type, of the EVSE if one is named (H01/H02); the schema checks the value.
        connector_type = p.get("connector_type") or None
        if connector_type is not None and not isinstance(connector_type, str):
            raise CommandError(
                "Invalid parameter.", {"connector_type": "Must be a connector type, e.g. cType2."}
            )
        parent = p.get("parent_id_tag")
        return Request(
            call.ReserveNow(
                id=required_int(p, "reservation_id"),
                expiry_date_time=require(p, "expires_at")[0],
                id_token=id_token(require(p, "id_tag")[0], p.get("id_token_type")),
                connector_type=connector_type,
                evse_id=integer(p, "evse_id"),
                group_id_token=id_token(parent, p.get("parent_id_token_type")) if parent else None,
            )
        )

    def rotate_password(p):
        (password,) = require(p, "password")
        error = password_string_error(password, BASIC_AUTH_PASSWORD_MAX)
        if error:
            raise CommandError("Invalid parameter.", {"password": error})
        item = {
            "attribute_value": password,
            "component": {"name": "SecurityCtrlr"},
            "variable": {"name": "BasicAuthPassword"},
        }
        return Request(call.SetVariables(set_variable_data=[item]))

    def trigger_message(p):
        message = choice(p, "message", TRIGGERS)
        return Request(
            call.TriggerMessage(requested_message=message, evse=evse(p)),
            expects=(TRIGGERED.get(message, message),),
        )

    return {
        "remote_start": remote_start,
        "remote_stop": lambda p: Request(
            call.RequestStopTransaction(transaction_id=str(require(p, "transaction_id")[0]))
        ),
        "reset": lambda p: Request(
            call.Reset(type=choice(p, "type", RESET, "soft"), evse_id=integer(p, "evse_id"))
        ),
        "unlock_connector": lambda p: Request(
            call.UnlockConnector(
                evse_id=required_int(p, "evse_id"), connector_id=integer(p, "evse_connector_id", 1)
            )
        ),
        "change_availability": lambda p: Request(
            call.ChangeAvailability(
                operational_status=choice(p, "type", AVAILABILITY), evse=evse(p)
            )
        ),
        "trigger_message": trigger_message,
        "clear_cache": lambda p: Request(call.ClearCache()),
        "data_transfer": lambda p: Request(
            call.DataTransfer(
                vendor_id=require(p, "vendor_id")[0],
                message_id=p.get("message_id"),
                data=p.get("data"),
            )
        ),
        "reserve_now": reserve_now,
        "cancel_reservation": lambda p: Request(
            call.CancelReservation(reservation_id=required_int(p, "reservation_id"))
        ),
        "set_charging_profile": lambda p: Request(
            call.SetChargingProfile(
                evse_id=integer(p, "evse_id", 0),
                charging_profile=charging_profile(require(p, "charging_profile")[0]),
            )
        ),
        "clear_charging_profile": lambda p: Request(
            call.ClearChargingProfile(
                charging_profile_id=integer(p, "id"),
                charging_profile_criteria={
                    "evse_id": integer(p, "evse_id"),
                    "charging_profile_purpose": choice(p, "purpose", {None: None, **PURPOSE}),
                    "stack_level": integer(p, "stack_level"),
                }
                if any(p.get(k) is not None for k in ("evse_id", "purpose", "stack_level"))
                else None,
            )
        ),
        "get_composite_schedule": lambda p: Request(
            call.GetCompositeSchedule(
                duration=required_int(p, "duration"),
                evse_id=integer(p, "evse_id", 0),
                charging_rate_unit=choice(p, "unit", {None: None, **UNIT}),
            )
        ),
        "send_local_list": lambda p: Request(
            call.SendLocalList(
                version_number=required_int(p, "list_version"),
                update_type=choice(p, "update_type", UPDATE_TYPE, "full"),
                local_authorization_list=[local_list_entry(e) for e in p.get("entries") or []]
                or None,
            )
        ),
        "get_local_list_version": lambda p: Request(call.GetLocalListVersion()),
        "rotate_password": rotate_password,
    }
