"""The adapters set up what the `ocpp` library's ChargePoint expects of itself."""

import pytest
from ocpp.charge_point import ChargePoint, camel_to_snake_case
from ocpp.routing import create_route_map

from stations.ocpp import adapter_class
from stations.ocpp.base import StationInfo, snake_case


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"])
async def test_adapter_sets_what_the_library_init_sets(subprotocol):
    cls = adapter_class(subprotocol)
    adapter = cls(StationInfo(1, "CP-1", "accepted"), connection=object())
    library = ChargePoint("CP-1", object())
    library_attributes = set(vars(library))
    assert library_attributes <= set(vars(adapter)), "the library's ChargePoint changed"
    for name in library_attributes - {"route_map"}:
        assert type(getattr(adapter, name)) is type(getattr(library, name)), name


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"])
async def test_route_map_is_the_library_one_bound_to_the_adapter(subprotocol):
    cls = adapter_class(subprotocol)
    adapter = cls(StationInfo(1, "CP-1", "accepted"), connection=object())
    expected = create_route_map(adapter)
    assert set(adapter.route_map) == set(expected)
    for action, handlers in expected.items():
        assert adapter.route_map[action] == handlers, action


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"])
def test_every_incoming_action_has_a_handler_and_no_after_hook(subprotocol):
    """What the adapter's own `_handle_call` relies on."""
    cls = adapter_class(subprotocol)
    routes = create_route_map(cls(StationInfo(1, "CP-1", "accepted"), connection=object()))
    assert cls.incoming_actions - set(routes) <= {"DataTransfer"}  # 2.x: answered apart
    for action in cls.incoming_actions & set(routes):
        assert "_on_action" in routes[action], action
    assert not [action for action, handlers in routes.items() if "_after_action" in handlers]


def test_snake_case_is_the_library_conversion():
    payload = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": "2026-12-05T10:00:00Z",
                "sampledValue": [{"value": "1", "unitOfMeasure": {"unit": "Wh"}}],
            }
        ],
        "evseId": 2,
        "ocppCSMSURL": "wss://x",
        "chargingRateUnitV2X": "W",
        "customData": {"vendorId": "ACME", "someVendorKEYName": [1, {"aB": None}]},
    }
    assert snake_case(payload) == camel_to_snake_case(payload)
