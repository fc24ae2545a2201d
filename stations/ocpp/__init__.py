"""OCPP protocol adapters, one module per version; nothing outside knows the versions.

`SUBPROTOCOLS` lists the WebSocket subprotocols ChargeNet speaks, newest first: a
station offering several gets the newest.
"""

from importlib import import_module

_ADAPTERS = {
    "ocpp2.1": ("stations.ocpp.v21", "V21Adapter"),
    "ocpp2.0.1": ("stations.ocpp.v201", "V201Adapter"),
    "ocpp1.6": ("stations.ocpp.v16", "V16Adapter"),
}
SUBPROTOCOLS = tuple(_ADAPTERS)


def adapter_class(subprotocol: str):
    module, name = _ADAPTERS[subprotocol]
    return getattr(import_module(module), name)
