"""Version-neutral commands turned into each version's OCPP request, checked first.

`build_request(version, action, params)` returns the request to send (an `ocpp`
library call dataclass and the JSON object it becomes), or raises `CommandError`
naming the bad parameter, so nothing invalid is ever sent.
"""

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


def build_request(builders: dict, version: str, action: str, params: dict) -> Request:
    if action not in ACTIONS:
        raise CommandError(f"Unknown action {action!r}.", {"action": "Unknown action."})
    builder = builders.get(action)
    if builder is None:
        raise CommandError(
            f"OCPP {version} has no {action!r}.", {"action": "Not available in this OCPP version."}
        )
    request = builder(params or {})
    body = wire_payload(request.payload)
    error = first_error(version, request.action, body)
    if error is not None:
        field = ".".join(str(p) for p in error.absolute_path) or "params"
        raise CommandError("Invalid parameters.", {field: error.message[:200]})
    return replace(request, body=body)
