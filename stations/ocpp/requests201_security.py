"""OCPP 2.0.1 / 2.1 requests on firmware, logs and certificates (issue 19).

`update_firmware` takes the secure update's fields (`install_date`, `signing_certificate`,
`signature`); `get_log` and `get_diagnostics` take `log_type` (diagnostics or security).
Certificate types are snake_case (`csms_root_certificate`, ...) or the spec's names.
"""

from django.utils import timezone

from stations.metering import format_timestamp
from stations.ocpp.requests import (
    CommandError,
    Request,
    integer,
    listed,
    require,
    spec_choice,
)
from stations.ocpp.requests201 import request_id

LOG_TYPES = {
    "diagnostics": "DiagnosticsLog",
    "security": "SecurityLog",
    "DiagnosticsLog": "DiagnosticsLog",
    "SecurityLog": "SecurityLog",
}
INSTALL_TYPES = {
    "v2g_root_certificate": "V2GRootCertificate",
    "mo_root_certificate": "MORootCertificate",
    "csms_root_certificate": "CSMSRootCertificate",
    "manufacturer_root_certificate": "ManufacturerRootCertificate",
}
ID_TYPES = {**INSTALL_TYPES, "v2g_certificate_chain": "V2GCertificateChain"}
SIGNING_TYPES = {
    "charging_station_certificate": "ChargingStationCertificate",
    "v2g_certificate": "V2GCertificate",
}
HASH_ALGORITHMS = ("SHA256", "SHA384", "SHA512")


def certificate_type(params: dict, name: str, types: dict, default=None) -> str | None:
    """A certificate type in snake_case or as the spec spells it."""
    value = params.get(name, default)
    if value is None:
        return None
    mapping = {**types, **{v: v for v in types.values()}}
    if value not in mapping:
        raise CommandError("Invalid parameter.", {name: f"Must be one of: {', '.join(types)}."})
    return mapping[value]


def certificate_types(params: dict, types: dict) -> list[str] | None:
    """`certificate_types` (a list, or `certificate_type`: one), None when absent."""
    items = listed(params, "certificate_types") or listed(params, "certificate_type")
    if items is None:
        return None
    return [certificate_type({"certificate_types": t}, "certificate_types", types) for t in items]


def log_type(params: dict) -> str:
    value = params.get("log_type") or "diagnostics"
    if value not in LOG_TYPES:
        raise CommandError("Invalid parameter.", {"log_type": "Must be diagnostics or security."})
    return LOG_TYPES[value]


def firmware(p: dict, signed_required: bool = False) -> dict:
    """The firmware object of (Signed)UpdateFirmware."""
    (location,) = require(p, "location")
    body = {
        "location": location,
        "retrieve_date_time": p.get("retrieve_date") or format_timestamp(timezone.now()),
        "install_date_time": p.get("install_date"),
        "signing_certificate": p.get("signing_certificate"),
        "signature": p.get("signature"),
    }
    if signed_required or p.get("signing_certificate") or p.get("signature"):
        require(p, "signing_certificate", "signature")
    return body


def certificate_hash_data(p: dict) -> dict:
    """`hash_algorithm` (default SHA256), `issuer_name_hash`, `issuer_key_hash`, `serial_number`."""
    names = ("issuer_name_hash", "issuer_key_hash", "serial_number")
    values = require(p, *names)
    return {
        "hash_algorithm": spec_choice(p, "hash_algorithm", HASH_ALGORITHMS, "SHA256"),
        **{name: str(value) for name, value in zip(names, values, strict=True)},
    }


def log_request(call, p: dict) -> Request:
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


def builders(call) -> dict:
    """The builders for a 2.x `call` module."""

    def get_installed_certificate_ids(p):
        return Request(
            call.GetInstalledCertificateIds(certificate_type=certificate_types(p, ID_TYPES))
        )

    return {
        "update_firmware": lambda p: Request(
            call.UpdateFirmware(
                request_id=request_id(p),
                firmware=firmware(p),
                retries=integer(p, "retries"),
                retry_interval=integer(p, "retry_interval"),
            )
        ),
        "get_diagnostics": lambda p: log_request(call, p),
        "get_log": lambda p: log_request(call, p),
        "publish_firmware": lambda p: Request(
            call.PublishFirmware(
                location=require(p, "location")[0],
                checksum=str(require(p, "checksum")[0]),
                request_id=request_id(p),
                retries=integer(p, "retries"),
                retry_interval=integer(p, "retry_interval"),
            )
        ),
        "unpublish_firmware": lambda p: Request(
            call.UnpublishFirmware(checksum=str(require(p, "checksum")[0]))
        ),
        "install_certificate": lambda p: Request(
            call.InstallCertificate(
                certificate_type=certificate_type(
                    {"certificate_type": require(p, "certificate_type")[0]},
                    "certificate_type",
                    INSTALL_TYPES,
                ),
                certificate=require(p, "certificate")[0],
            )
        ),
        "get_installed_certificate_ids": get_installed_certificate_ids,
        "delete_certificate": lambda p: Request(
            call.DeleteCertificate(certificate_hash_data=certificate_hash_data(p))
        ),
        "certificate_signed": lambda p: Request(
            call.CertificateSigned(
                certificate_chain=require(p, "certificate_chain")[0],
                certificate_type=certificate_type(p, "certificate_type", SIGNING_TYPES),
            )
        ),
    }
