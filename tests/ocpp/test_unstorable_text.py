"""Text no database stores (NUL, lone UTF-16 surrogates) and frames nested too deep.

A lone surrogate reaches ChargeNet only as a JSON escape (`"x\\ud800"`): the parser
makes it a character UTF-8 cannot encode, so PostgreSQL (and SQLite) refuse it. In a
Call's payload it becomes U+FFFD, and the Call is validated, stored and answered as any
other; the log keeps the frame as it came, and a log batch one row of which cannot be
written keeps every other row. Marked `protocol`: phase 2 runs it again on PostgreSQL.
"""

import json

import pytest
from channels.db import database_sync_to_async as sync
from django.utils import timezone

from stations.models import ChargingSession, OcppMessage
from stations.ocpp.framing import MAX_NESTING_DEPTH
from stations.ocpp.requests16 import PNC_VENDOR
from stations.writers.bulk import rows_write_each
from stations.writers.message_log import COLUMNS, message_log, storable_row
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import basic_auth, communicator_for, raw_exchange

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

STOP = '{"transactionId":1,"meterStop":10,"timestamp":"2026-11-20T10:00:00Z","idTag":"T\\ud800"}'
T0 = "2026-11-20T10:00:00Z"
START = {"connectorId": 1, "idTag": "TAG-0001", "meterStart": 0, "timestamp": T0}


async def open_socket(station_id="CP-1", version="ocpp1.6"):
    communicator = communicator_for(
        f"/ocpp/{station_id}",
        subprotocols=(version,),
        headers=[basic_auth(station_id, STATION_PASSWORD)],
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


async def test_lone_surrogates_cost_no_other_stations_frames(station, flushed_log):
    await sync(make_station)("CP-2")
    first, other = await open_socket("CP-1"), await open_socket("CP-2")
    for index in range(4):
        reply = await raw_exchange(first, f'[2,"x{index}\\ud800","Heartbeat",{{}}]')
        assert reply[:2] == [3, f"x{index}\ud800"]  # answered with its own id
        reply = await raw_exchange(other, [2, f"o{index}", "Heartbeat", {}])
        assert reply[0] == 3
    reply = await raw_exchange(first, f'[2,"stop","StopTransaction",{STOP}]')
    assert reply[:2] == [3, "stop"], reply
    reply = await raw_exchange(first, '[2,"act","Heart\\uDC00beat",{}]')
    assert reply[:3] == [4, "act", "NotImplemented"]
    await flushed_log()
    logged = [m async for m in OcppMessage.objects.filter(direction="in").order_by("pk")]
    assert [m.unique_id for m in logged if m.unique_id.startswith("o")] == [
        "o0",
        "o1",
        "o2",
        "o3",
    ]
    assert [m.unique_id for m in logged if m.unique_id.startswith("x")] == [
        f"x{index}\ufffd" for index in range(4)
    ]
    assert any(m.action == "Heart\ufffdbeat" for m in logged)
    assert any("T\\ud800" in m.payload for m in logged)  # the frame, as it came
    await first.disconnect()
    await other.disconnect()


async def test_a_surrogate_pair_is_text_not_a_refusal(station):
    communicator = await open_socket()
    frame = (
        '[2,"b","BootNotification",{"chargePointVendor":"V\\ud83d\\ude00","chargePointModel":"M"}]'
    )
    reply = await raw_exchange(communicator, frame)
    assert reply[0] == 3, reply
    await communicator.disconnect()


async def test_a_16_stop_with_a_lone_surrogate_is_stored_replaced(station, token, flushed_log):
    communicator = await open_socket()
    reply = await raw_exchange(communicator, [2, "start", "StartTransaction", START])
    transaction_id = reply[2]["transactionId"]
    stop = STOP.replace('"transactionId":1', f'"transactionId":{transaction_id}')
    reply = await raw_exchange(communicator, f'[2,"stop","StopTransaction",{stop}]')
    assert reply[:2] == [3, "stop"], reply
    session = await ChargingSession.objects.aget(transaction_id=str(transaction_id))
    assert session.state == ChargingSession.State.ENDED
    assert (session.stop_id_tag, session.meter_stop_wh) == ("T\ufffd", 10)
    await flushed_log()
    logged = [m async for m in OcppMessage.objects.filter(unique_id="stop").order_by("pk")]
    assert [(m.direction, m.message_type) for m in logged] == [("in", 2), ("out", 3)]
    assert "T\\ud800" in logged[0].payload  # the frame, as it came
    await communicator.disconnect()


def transaction_event(event_type: str, seq_no: int) -> str:
    """A TransactionEvent whose transactionId holds a lone surrogate, as its escape."""
    payload = {
        "eventType": event_type,
        "timestamp": T0,
        "triggerReason": "Authorized" if event_type == "Started" else "StopAuthorized",
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": "TX-\ud800"},
        "evse": {"id": 1, "connectorId": 1},
        "idToken": {"idToken": "TAG-0001", "type": "ISO14443"},
    }
    return json.dumps([2, event_type, "TransactionEvent", payload])  # ensure_ascii


@pytest.mark.parametrize("version", ["ocpp2.0.1", "ocpp2.1"])
async def test_a_201_transaction_with_a_lone_surrogate_is_stored_replaced(station, token, version):
    communicator = await open_socket(version=version)
    assert "\\ud800" in transaction_event("Started", 0)
    for seq_no, event_type in enumerate(["Started", "Ended"]):
        reply = await raw_exchange(communicator, transaction_event(event_type, seq_no))
        assert reply[:2] == [3, event_type], reply
    session = await ChargingSession.objects.aget(transaction_id="TX-\ufffd")
    assert session.state == ChargingSession.State.ENDED
    frame = '[2,"h","Heartbeat",{"customData":{"vendorId":"V\\udfff"}}]'
    reply = await raw_exchange(communicator, frame)
    assert reply[:2] == [3, "h"], reply
    await communicator.disconnect()


async def test_plug_and_charge_data_with_a_lone_surrogate_is_read_replaced(station):
    """A 1.6 DataTransfer's data is JSON in a string: its escapes are read only there."""
    communicator = await open_socket()
    data = json.dumps({"idToken": {"idToken": "E\ud800", "type": "eMAID"}})
    transfer = {"vendorId": PNC_VENDOR, "messageId": "Authorize", "data": data}
    reply = await raw_exchange(communicator, [2, "pnc", "DataTransfer", transfer])
    assert reply[:2] == [3, "pnc"], reply
    assert reply[2]["status"] == "Accepted"
    assert json.loads(reply[2]["data"])["idTokenInfo"]["status"] != "Accepted"
    await communicator.disconnect()


async def test_the_schema_judges_the_replaced_text(station):
    """U+FFFD in an enum is no status: the schema's own error, on the replaced value."""
    communicator = await open_socket()
    payload = '{"connectorId":1,"errorCode":"NoError","status":"Avail\\ud800able"}'
    reply = await raw_exchange(communicator, f'[2,"s","StatusNotification",{payload}]')
    assert reply[:3] == [4, "s", "PropertyConstraintViolation"]
    assert reply[4] == {"field": "status"}
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ("ocpp1.6", "FormationViolation"),
        ("ocpp2.0.1", "FormatViolation"),
        ("ocpp2.1", "FormatViolation"),
    ],
)
@pytest.mark.parametrize("depth", [MAX_NESTING_DEPTH, 600, 5000])
async def test_nesting_beyond_the_limit_gets_a_call_error(station, version, code, depth):
    communicator = await open_socket(version=version)
    frame = f'[2,"deep","Heartbeat",{{"customData":{nested(depth)}}}]'
    reply = await raw_exchange(communicator, frame)
    assert reply[:3] == [4, "deep", code]
    reply = await raw_exchange(communicator, [2, "alive", "Heartbeat", {}])
    assert reply[:2] == [3, "alive"]
    await communicator.disconnect()


async def test_nesting_within_the_limit_is_no_error(station):
    communicator = await open_socket(version="ocpp2.0.1")
    data = json.dumps(json.loads(nested(MAX_NESTING_DEPTH - 3)))  # frame + payload + key
    frame = f'[2,"ok","DataTransfer",{{"vendorId":"V","data":{data}}}]'
    reply = await raw_exchange(communicator, frame)
    assert reply[:2] == [3, "ok"], reply
    await communicator.disconnect()


async def test_a_batch_with_one_bad_row_keeps_the_others(station):
    now = timezone.now()
    rows = [(station.pk, "in", 2, "Heartbeat", f"u{index}", "", "{}", now) for index in range(5)]
    # A payload no frame's text can hold (raw frames are valid UTF-8): only the write
    # finds it, and the batch falls back to row by row.
    rows[2] = (station.pk, "in", 2, "Heartbeat", "u2", "", '{"x":"\ud800"}', now)
    lost = await sync(rows_write_each)(OcppMessage, COLUMNS, rows, storable_row)
    assert lost == 0
    stored = [m async for m in OcppMessage.objects.order_by("unique_id")]
    assert [m.unique_id for m in stored] == ["u0", "u1", "u2", "u3", "u4"]
    assert stored[2].payload == '{"x":"\ufffd"}'
    lost = await sync(rows_write_each)(OcppMessage, COLUMNS, [rows[2], rows[3]])
    assert lost == 1  # without a repair, only the bad row is lost
    assert await OcppMessage.objects.filter(unique_id="u3").acount() == 2


async def test_the_message_log_flush_keeps_a_batch_with_a_bad_payload(station):
    rows = [("in", f"m{index}", "{}") for index in range(3)]
    rows.insert(1, ("out", "bad", '["\udc00"]'))
    for direction, unique_id, payload in rows:
        message_log.add(
            station_id=station.pk,
            direction=direction,
            message_type=2,
            action="Heartbeat",
            unique_id=unique_id,
            error_code="",
            payload=payload,
        )
    await message_log.flush()
    assert await OcppMessage.objects.acount() == 4
