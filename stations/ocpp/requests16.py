"""OCPP 1.6 requests for each version-neutral command.

Besides 1.6 core, the messages of the 1.6 Security extension the `ocpp` library ships
(GetLog, SignedUpdateFirmware, certificates); actions with no 1.6 message have no
builder, and `build_request` refuses them for 1.6 stations.
"""

import itertools
import json
import time

from django.utils import timezone
from ocpp.v16 import call

from stations.metering import format_timestamp
from stations.ocpp.configuration_keys import key_16
from stations.ocpp.requests import (
    CommandError,
    Request,
    choice,
    integer,
    listed,
    require,
    required_int,
    unavailable,
)
from stations.ocpp.requests201_security import (
    ID_TYPES,
    SIGNING_TYPES,
    certificate_hash_data,
    certificate_type,
    firmware,
    log_type,
)
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
# Messages only the Security extension's ExtendedTriggerMessage asks for, and the
# message each makes the station send (SignChargePointCertificate: SignCertificate).
EXTENDED_TRIGGERS = {
    "LogStatusNotification": "LogStatusNotification",
    "SignChargePointCertificate": "SignCertificate",
}
ALSO_EXTENDED = {name: name for name in EXTENDED_TRIGGERS}  # named in the error only
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


# --- the 1.6 Security extension (issue 19) ----------------------------------------

# 1.6 knows two of 2.0.1's certificate types, by other names.
CERTIFICATE_TYPES = {
    "csms_root_certificate": "CentralSystemRootCertificate",
    "manufacturer_root_certificate": "ManufacturerRootCertificate",
}
_REQUEST_IDS = itertools.count(int(time.time()) % 1_000_000 * 1000 + 500)


def request_id(params: dict) -> int:
    return integer(params, "request_id") or next(_REQUEST_IDS)


def certificate_type_16(value: str, name: str) -> str:
    """A neutral (or 2.0.1) certificate type as 1.6 names it."""
    neutral = {v: k for k, v in ID_TYPES.items()}.get(value, value)
    if neutral in CERTIFICATE_TYPES:
        return CERTIFICATE_TYPES[neutral]
    if value in CERTIFICATE_TYPES.values():
        return value
    if neutral in ID_TYPES:
        raise unavailable("1.6", name, f"Certificate type {value!r}")
    raise CommandError(
        "Invalid parameter.", {name: f"Must be one of: {', '.join(CERTIFICATE_TYPES)}."}
    )


def update_firmware(p):
    """UpdateFirmware, or SignedUpdateFirmware for a signed (secure) update."""
    if p.get("signing_certificate") or p.get("signature"):
        return Request(
            call.SignedUpdateFirmware(
                request_id=request_id(p),
                firmware=firmware(p, signed_required=True),
                retries=integer(p, "retries"),
                retry_interval=integer(p, "retry_interval"),
            )
        )
    if p.get("install_date"):
        raise unavailable("1.6", "install_date", "An install date without a signature")
    return Request(
        call.UpdateFirmware(
            location=require(p, "location")[0],
            retrieve_date=p.get("retrieve_date") or format_timestamp(timezone.now()),
            retries=integer(p, "retries"),
            retry_interval=integer(p, "retry_interval"),
        )
    )


def get_log(p):
    return Request(
        call.GetLog(
            log={
                "remote_location": require(p, "location")[0],
                "oldest_timestamp": p.get("start_time"),
                "latest_timestamp": p.get("stop_time"),
            },
            log_type=log_type(p),
            request_id=request_id(p),
            retries=integer(p, "retries"),
            retry_interval=integer(p, "retry_interval"),
        )
    )


def get_diagnostics(p):
    """GetDiagnostics; the security log only the Security extension's GetLog fetches."""
    if log_type(p) == "SecurityLog":
        return get_log(p)
    return Request(
        call.GetDiagnostics(
            location=require(p, "location")[0],
            retries=integer(p, "retries"),
            retry_interval=integer(p, "retry_interval"),
            start_time=p.get("start_time"),
            stop_time=p.get("stop_time"),
        )
    )


def get_installed_certificate_ids(p):
    types = listed(p, "certificate_types") or listed(p, "certificate_type") or []
    if len(types) != 1:
        raise CommandError(
            "Invalid parameter.",
            {"certificate_type": "OCPP 1.6 stations are asked for one type at a time."},
        )
    return Request(
        call.GetInstalledCertificateIds(
            certificate_type=certificate_type_16(types[0], "certificate_type")
        )
    )


def install_certificate(p):
    kind, certificate = require(p, "certificate_type", "certificate")
    return Request(
        call.InstallCertificate(
            certificate_type=certificate_type_16(kind, "certificate_type"),
            certificate=certificate,
        )
    )


# OCA's "Using ISO 15118 Plug & Charge with OCPP 1.6": 2.0.1's certificate messages as
# DataTransfer with this vendor id, the message's name as messageId and its JSON as data.
PNC_VENDOR = "org.openchargealliance.iso15118pnc"


def certificate_signed(p):
    kind = certificate_type(p, "certificate_type", SIGNING_TYPES)
    (chain,) = require(p, "certificate_chain")
    if kind == "V2GCertificate":
        # 1.6 knows only the station's own certificate; the V2G one goes as Plug & Charge.
        data = {"certificateChain": chain, "certificateType": kind}
        return Request(
            call.DataTransfer(
                vendor_id=PNC_VENDOR, message_id="CertificateSigned", data=json.dumps(data)
            )
        )
    return Request(call.CertificateSigned(certificate_chain=chain))


def trigger_message(p):
    """TriggerMessage; a message only the Security extension triggers (a log's status, a
    new certificate's signing request) goes as ExtendedTriggerMessage."""
    message = p.get("message")
    if message in EXTENDED_TRIGGERS:
        return Request(
            call.ExtendedTriggerMessage(
                requested_message=message, connector_id=integer(p, "connector_id")
            ),
            expects=(EXTENDED_TRIGGERS[message],),
        )
    return Request(
        call.TriggerMessage(
            requested_message=choice(p, "message", {**TRIGGERS, **ALSO_EXTENDED}),
            connector_id=integer(p, "connector_id"),
        ),
        expects=(message,),
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
        call.GetConfiguration(key=[key_16(key) for key in listed(p, "keys") or []] or None)
    ),
    "set_configuration": lambda p: Request(
        call.ChangeConfiguration(
            key=key_16(require(p, "key")[0]), value=str(require(p, "value")[0])
        )
    ),
    "trigger_message": trigger_message,
    "clear_cache": lambda p: Request(call.ClearCache()),
    "data_transfer": lambda p: Request(
        call.DataTransfer(
            vendor_id=require(p, "vendor_id")[0],
            message_id=p.get("message_id"),
            data=None if p.get("data") is None else str(p["data"]),
        )
    ),
    "update_firmware": update_firmware,
    "get_diagnostics": get_diagnostics,
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
    "get_log": get_log,
    "install_certificate": install_certificate,
    "get_installed_certificate_ids": get_installed_certificate_ids,
    "delete_certificate": lambda p: Request(
        call.DeleteCertificate(certificate_hash_data=certificate_hash_data(p))
    ),
    "certificate_signed": certificate_signed,
}
