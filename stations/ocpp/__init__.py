"""OCPP protocol adapters, one module per version; nothing outside knows the versions.

`SUBPROTOCOLS` lists the WebSocket subprotocols ChargeNet speaks, newest first: a
station offering several gets the newest.
"""

from importlib import import_module

_ADAPTERS = {
    "ocpp2.1": ("stations.ocpp.v201", "V21Adapter"),
    "ocpp2.0.1": ("stations.ocpp.v201", "V201Adapter"),
    "ocpp1.6": ("stations.ocpp.v16", "V16Adapter"),
}
SUBPROTOCOLS = tuple(_ADAPTERS)
VERSIONS = {"2.1": "ocpp2.1", "2.0.1": "ocpp2.0.1", "1.6": "ocpp1.6"}


def adapter_class(subprotocol: str):
    module, name = _ADAPTERS[subprotocol]
    return getattr(import_module(module), name)


def build_command(ocpp_version: str, action: str, params: dict):
    """Check a command for a station of that version (its label, e.g. "1.6")."""
    return adapter_class(VERSIONS.get(ocpp_version, "ocpp1.6")).build(action, params)


def action_versions(action: str) -> tuple[str, ...]:
    """The OCPP versions (labels, e.g. "2.0.1") whose stations can be sent `action`."""
    return tuple(
        label
        for label, subprotocol in VERSIONS.items()
        if action in adapter_class(subprotocol).request_builders
    )
