"""The adapters set up what the `ocpp` library's ChargePoint expects of itself."""

import pytest
from ocpp.charge_point import ChargePoint
from ocpp.routing import create_route_map

from stations.ocpp import adapter_class
from stations.ocpp.base import StationInfo


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
