"""The adapters' own dispatch: a handler per incoming action, keys as the library spells them."""

import ast
from pathlib import Path

import pytest

from stations.ocpp import adapter_class
from stations.ocpp.base import StationAdapter
from stations.ocpp.dispatch import handles
from stations.ocpp.payloads import snake_case, wire_payload

SUBPROTOCOLS = ["ocpp1.6", "ocpp2.0.1", "ocpp2.1"]


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
def test_every_incoming_action_has_a_handler(subprotocol):
    cls = adapter_class(subprotocol)
    assert cls.incoming_actions == set(cls.handlers)
    assert cls.incoming_actions <= cls.known_actions


def test_an_adapter_class_with_a_handler_missing_doubled_or_unused_is_refused():
    with pytest.raises(TypeError, match="no handler for Heartbeat"):

        class Forgetful(StationAdapter):
            incoming_actions = frozenset({"Heartbeat"})

    with pytest.raises(TypeError, match="two handlers of Heartbeat"):

        class Doubled(StationAdapter):
            incoming_actions = frozenset({"Heartbeat"})

            @handles("Heartbeat")
            async def on_heartbeat(self, **kw): ...

            @handles("Heartbeat")
            async def on_heartbeat_again(self, **kw): ...

    with pytest.raises(TypeError, match="never receives Heartbeat"):

        class Deaf(StationAdapter):
            @handles("Heartbeat")
            async def on_heartbeat(self, **kw): ...


def test_the_ocpp_library_is_used_for_schemas_enums_and_dataclasses_only():
    """No routing, message or ChargePoint internals of the library in the protocol layer."""
    allowed = {"ocpp"} | {
        f"ocpp.{version}{part}"
        for version in ("v16", "v201", "v21")
        for part in ("", ".call", ".call_result", ".enums", ".datatypes")
    }
    root = Path(__file__).resolve().parent.parent / "stations"
    for path in [*(root / "ocpp").glob("*.py"), root / "sockets" / "station.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ocpp"):
                assert node.module in allowed, f"{path.name}: from {node.module}"
                if node.module in {"ocpp.v16", "ocpp.v201", "ocpp.v21"}:
                    names = {alias.name for alias in node.names}
                    assert names <= {"call", "call_result", "enums", "datatypes"}, path.name
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("ocpp"):
                        assert alias.name in allowed, f"{path.name}: import {alias.name}"


def test_snake_case_is_the_library_spelling():
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
    assert snake_case(payload) == {
        "connector_id": 1,
        "meter_value": [
            {
                "timestamp": "2026-12-05T10:00:00Z",
                "sampled_value": [{"value": "1", "unit_of_measure": {"unit": "Wh"}}],
            }
        ],
        "evse_id": 2,
        "ocpp_csms_url": "wss://x",
        "charging_rate_unit_v2x": "W",
        "custom_data": {"vendor_id": "ACME", "some_vendor_key_name": [1, {"ab": None}]},
    }


def test_wire_payload_is_camel_case_without_nones():
    from ocpp.v16 import call
    from ocpp.v201 import call_result

    assert wire_payload(
        call.RemoteStartTransaction(
            id_tag="TAG", connector_id=None, charging_profile={"stack_level": 0, "x": None}
        )
    ) == {"idTag": "TAG", "chargingProfile": {"stackLevel": 0}}
    assert wire_payload(
        call_result.TransactionEvent(
            id_token_info={"status": "Accepted", "cache_expiry_date_time": "2026-01-01T00:00Z"}
        )
    ) == {"idTokenInfo": {"status": "Accepted", "cacheExpiryDateTime": "2026-01-01T00:00Z"}}
    assert wire_payload({"soc": 1, "ev_min_v2x_energy_request": 2, "responder_url": "u"}) == {
        "SoC": 1,
        "evMinV2XEnergyRequest": 2,
        "responderURL": "u",
    }
