"""The adapters' own dispatch and calls: a handler per incoming action, one command at
a time answered by its unique id, keys as the `ocpp` library spells them."""

import ast
import asyncio
import json
from pathlib import Path

import pytest

from stations.ocpp import adapter_class
from stations.ocpp.base import StationAdapter, StationInfo
from stations.ocpp.calls import Outcome
from stations.ocpp.dispatch import handles
from stations.ocpp.payloads import snake_case, wire_payload
from stations.writers.message_log import message_log

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
    root = Path(__file__).resolve().parents[2] / "stations"
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


class Connection:
    def __init__(self):
        self.sent: list = []

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def call(self, count: int) -> list:
        """The `count`th frame sent, once it is."""
        async with asyncio.timeout(5):
            while len(self.sent) < count:
                await asyncio.sleep(0.001)
        return self.sent[count - 1]


@pytest.fixture
def logged(monkeypatch):
    rows = []
    monkeypatch.setattr(message_log, "add", lambda **row: rows.append(row))
    return rows


def adapter_16():
    connection = Connection()
    return adapter_class("ocpp1.6")(StationInfo(1, "CP-1", "accepted"), connection), connection


async def test_commands_go_one_at_a_time_each_answered_by_its_id(logged):
    adapter, connection = adapter_16()
    first = asyncio.create_task(adapter.perform("clear_cache", {}, timeout=5))
    second = asyncio.create_task(adapter.perform("reset", {"type": "soft"}, timeout=5))
    call = await connection.call(1)
    assert call[2] == "ClearCache"
    await asyncio.sleep(0.02)
    assert len(connection.sent) == 1, "the second command waits for the first's answer"
    await adapter.handle_frame(json.dumps([3, "not-ours", {"status": "Accepted"}]))
    await adapter.handle_frame(json.dumps([3, call[1], {"status": "Accepted"}]))
    assert await first == Outcome("accepted", {"status": "Accepted"}, None, "ClearCache")
    call = await connection.call(2)
    assert call[2:] == ["Reset", {"type": "Soft"}]
    await adapter.handle_frame(json.dumps([3, call[1], {"status": "Rejected"}]))
    outcome = await second
    assert (outcome.status, outcome.response) == ("rejected", {"status": "Rejected"})
    replies = [row for row in logged if row["direction"] == "in"]
    assert [row["action"] for row in replies] == ["", "ClearCache", "Reset"]


async def test_the_answer_to_a_command_passes_a_station_over_its_limits(logged, settings):
    """Stations answering many commands in a row were over their 20 frames a second, and
    the answers were dropped: the commands ended as timeouts."""
    settings.OCPP_RATE_LIMIT, settings.OCPP_RATE_BURST = 0.001, 3
    adapter, connection = adapter_16()
    for number in range(3):
        await adapter.handle_frame(json.dumps([3, f"stray-{number}", {}]))
    command = asyncio.create_task(adapter.perform("clear_cache", {}, timeout=5))
    call = await connection.call(1)
    await adapter.handle_frame(json.dumps([3, "stray-3", {}]))  # not awaited: dropped
    await adapter.handle_frame(f'[ 3 ,"{call[1]}", {{"status": "Accepted"}}]')
    assert (await command).status == "accepted"
    # Only the answer passed: a Call is still refused, the same answer again dropped.
    await adapter.handle_frame(json.dumps([2, "hb", "Heartbeat", {}]))
    await adapter.handle_frame(json.dumps([3, call[1], {"status": "Accepted"}]))
    assert connection.sent[1][:3] == [4, "hb", "GenericError"]
    assert adapter._limits.dropped == 2
    assert [row["unique_id"] for row in logged if row["direction"] == "in"] == [
        "stray-0",
        "stray-1",
        "stray-2",
        call[1],
        "hb",
    ]


async def test_a_late_answer_is_logged_under_its_action_and_ignored(logged):
    adapter, connection = adapter_16()
    outcome = await adapter.perform("reset", {"type": "hard"}, timeout=0.05)
    assert (outcome.status, outcome.error) == ("timeout", {"description": "No answer in 0.05 s"})
    late = connection.sent[0][1]
    await adapter.handle_frame(json.dumps([3, late, {"status": "Accepted"}]))
    assert logged[-1]["action"] == "Reset" and logged[-1]["unique_id"] == late
    next_command = asyncio.create_task(adapter.perform("clear_cache", {}, timeout=5))
    call = await connection.call(2)
    await adapter.handle_frame(json.dumps([3, call[1], {"status": "Accepted"}]))
    assert (await next_command).status == "accepted"


@pytest.mark.parametrize(
    "answer, error, response",
    [
        (
            [4, "NotImplemented", "No ClearCache", {"why": 1}],
            {"code": "NotImplemented", "description": "No ClearCache", "details": {"why": 1}},
            None,
        ),
        # A code the library had no exception for failed the command internally.
        ([4, "RpcFrameworkError", "", {}], {"description": "Internal error."}, None),
        ([3, {"status": "Sure"}], {"code": "FormatViolation"}, {"status": "Sure"}),
        ([3, {"status": "Accepted", "extra": 1}], {"code": "FormatViolation"}, None),
    ],
)
async def test_answers_that_fail_a_command(logged, answer, error, response):
    adapter, connection = adapter_16()
    command = asyncio.create_task(adapter.perform("clear_cache", {}, timeout=5))
    unique_id = (await connection.call(1))[1]
    await adapter.handle_frame(json.dumps([answer[0], unique_id, *answer[1:]]))
    outcome = await command
    assert outcome.status == "failed" and outcome.response == response
    assert {key: outcome.error[key] for key in error} == error


async def test_a_cancelled_command_lets_the_next_one_through(logged):
    adapter, connection = adapter_16()
    first = asyncio.create_task(adapter.perform("clear_cache", {}, timeout=5))
    await connection.call(1)
    first.cancel()  # the consumer cancels its commands when the socket closes
    with pytest.raises(asyncio.CancelledError):
        await first
    second = asyncio.create_task(adapter.perform("clear_cache", {}, timeout=5))
    call = await connection.call(2)
    await adapter.handle_frame(json.dumps([3, call[1], {"status": "Accepted"}]))
    assert (await second).status == "accepted"
