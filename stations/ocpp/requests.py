"""Version-neutral commands turned into each version's OCPP request, checked first.

`build_request(version, action, params)` returns the request to send (an `ocpp`
library call dataclass and the JSON object it becomes), or raises `CommandError`
naming the bad parameter, so nothing invalid is ever sent.
"""

import re
from dataclasses import dataclass, replace

from stations.ocpp.payloads import wire_payload
from stations.ocpp.schemas import first_error

# The actions every caller may ask for (docs/api.md).
ACTIONS = (
    "remote_start",
    "remote_stop",
    "reset",
    "unlock_connector",
    "change_availability",
    "get_configuration",
    "set_configuration",
    "trigger_message",
    "reserve_now",
    "cancel_reservation",
    "set_charging_profile",
    "clear_charging_profile",
    "get_composite_schedule",
    "send_local_list",
    "get_local_list_version",
    "clear_cache",
    "update_firmware",
    "get_diagnostics",
    "data_transfer",
    "rotate_password",
    # issue 19: every CSMS-initiated 2.0.1 message (docs/api.md, "Commands")
    "get_base_report",
    "get_report",
    "set_variables",
    "set_network_profile",
    "get_transaction_status",
    "get_charging_profiles",
    "publish_firmware",
    "unpublish_firmware",
    "install_certificate",
    "get_installed_certificate_ids",
    "delete_certificate",
    "certificate_signed",
    "get_log",
    "set_variable_monitoring",
    "set_monitoring_base",
    "set_monitoring_level",
    "clear_variable_monitoring",
    "get_monitoring_report",
    "customer_information",
    "set_display_message",
    "get_display_messages",
    "clear_display_message",
    "cost_updated",
)


class CommandError(ValueError):
    """A command that cannot be sent: unknown action or bad parameters."""

    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


@dataclass(frozen=True)
class Request:
    payload: object  # an `ocpp` library call dataclass
    expects: tuple[str, ...] = ()  # messages the station will send because of it
    body: dict | None = None  # the payload as sent, checked (set by build_request)

    @property
    def action(self) -> str:
        return type(self.payload).__name__


def require(params: dict, *names: str) -> list:
    missing = {
        name: "This parameter is required." for name in names if params.get(name) in (None, "")
    }
    if missing:
        raise CommandError("Missing parameters.", missing)
    return [params[name] for name in names]


def choice(params: dict, name: str, mapping: dict, default=None):
    value = params.get(name, default)
    if value not in mapping:
        raise CommandError(
            "Invalid parameter.", {name: f"Must be one of: {', '.join(map(str, mapping))}."}
        )
    return mapping[value]


def integer(params: dict, name: str, default=None) -> int | None:
    value = params.get(name, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CommandError("Invalid parameter.", {name: "Must be an integer."}) from None


def required_int(params: dict, name: str) -> int:
    require(params, name)
    return integer(params, name)


def snake_name(value: str) -> str:
    """A spec enum value as callers may write it: `FullInventory` -> `full_inventory`.

    An acronym stays one word: `V2GCertificate` -> `v2g_certificate`,
    `CSMSRootCertificate` -> `csms_root_certificate`.
    """
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z0-9])(?=[A-Z][a-z])", "_", value).lower()


def _older_snake_name(value: str) -> str:
    """The spelling snake_name gave before it kept acronyms whole (`v2_gcertificate`)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value).lower()


def spec_choice(params: dict, name: str, values, default=None):
    """One of the spec's enum `values`, given as itself or in snake_case; None if absent."""
    value = params.get(name, default)
    if value is None:
        return None
    mapping = (
        {_older_snake_name(v): v for v in values}
        | {snake_name(v): v for v in values}
        | {v: v for v in values}
    )
    if value not in mapping:
        allowed = ", ".join(snake_name(v) for v in values)
        raise CommandError("Invalid parameter.", {name: f"Must be one of: {allowed}."})
    return mapping[value]


def spec_choices(params: dict, name: str, values) -> list | None:
    """A list of the spec's enum `values` (a single value counts as a list of one)."""
    items = listed(params, name)
    if items is None:
        return None
    return [spec_choice({name: item}, name, values) for item in items]


def listed(params: dict, name: str) -> list | None:
    """A list parameter (one value is a list of one); None if absent or empty."""
    value = params.get(name)
    if value in (None, "", [], ()):
        return None
    return list(value) if isinstance(value, list | tuple) else [value]


def integers(params: dict, name: str) -> list[int] | None:
    items = listed(params, name)
    if items is None:
        return None
    return [integer({name: item}, name) for item in items]


def boolean(params: dict, name: str, default: bool | None = None) -> bool | None:
    value = params.get(name, default)
    if value is None or isinstance(value, bool):
        return value
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if str(value).lower() not in words:
        raise CommandError("Invalid parameter.", {name: "Must be true or false."})
    return words[str(value).lower()]


def unavailable(version: str, name: str, what: str = "This value") -> CommandError:
    """The error for a parameter (or value) a version cannot carry."""
    return CommandError(
        f"{what} is not available for OCPP {version} stations.",
        {name: f"Not available for OCPP {version} stations."},
    )


def build_request(builders: dict, version: str, action: str, params: dict) -> Request:
    if action not in ACTIONS:
        raise CommandError(f"Unknown action {action!r}.", {"action": "Unknown action."})
    builder = builders.get(action)
    if builder is None:
        raise CommandError(
            f"{action!r} is not available for OCPP {version} stations.",
            {"action": f"Not available for OCPP {version} stations."},
        )
    request = builder(params or {})
    body = wire_payload(request.payload)
    error = first_error(version, request.action, body)
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or "params"
        raise CommandError("Invalid parameters.", {field: error.message[:200]})
    return replace(request, body=body)
