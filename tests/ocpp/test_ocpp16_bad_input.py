"""Bad frames get the CallError OCPP-J 1.6 names; the socket stays open, nothing changes."""

import json

import pytest
from django.utils import timezone

from stations.models import ChargingSession, ChargingStation, Connector, IdToken, OcppMessage
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import basic_auth, communicator_for, raw_exchange

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

BOOT = {"chargePointVendor": "V", "chargePointModel": "M"}
START = {
    "connectorId": 1,
    "idTag": "TAG-0001",
    "meterStart": 0,
    "timestamp": "2026-11-20T10:00:00Z",
}


async def open_socket(station_id="CP-1"):
    communicator = communicator_for(
        f"/ocpp/{station_id}", headers=[basic_auth(station_id, STATION_PASSWORD)]
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def assert_still_answers(communicator):
    reply = await raw_exchange(communicator, [2, "alive", "Heartbeat", {}])
    assert reply[0] == 3 and reply[1] == "alive" and "currentTime" in reply[2]


@pytest.mark.parametrize(
    ("frame", "expected_id", "expected_code"),
    [
        ("hello", "-1", "FormationViolation"),
        ('[2,"1","Heart', "-1", "FormationViolation"),
        ("{}", "-1", "ProtocolError"),
        ("42", "-1", "ProtocolError"),
        ('[2,"1"]', "1", "ProtocolError"),
        ('[2,1,"Heartbeat",{}]', "-1", "ProtocolError"),
        ('[2,"1","Heartbeat",[]]', "1", "ProtocolError"),
        (json.dumps([2, "x" * 37, "Heartbeat", {}]), "x" * 37, "ProtocolError"),
        ('[2,"1","FooBar",{}]', "1", "NotImplemented"),
        ('[2,"1","Reset",{"type":"Hard"}]', "1", "NotSupported"),
    ],
)
async def test_broken_frames_get_the_16_error(station, frame, expected_id, expected_code):
    communicator = await open_socket()
    reply = await raw_exchange(communicator, frame)
    assert reply[0] == 4
    assert reply[1] == expected_id
    assert reply[2] == expected_code
    assert reply[4] == {} or isinstance(reply[4], dict)
    assert frame not in reply[3]  # the raw invalid text is not echoed back
    await assert_still_answers(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("action", "payload", "expected_code"),
    [
        ("BootNotification", {"chargePointVendor": "V"}, "OccurenceConstraintViolation"),
        (
            "StatusNotification",
            {"connectorId": "one", "errorCode": "NoError", "status": "Available"},
            "TypeConstraintViolation",
        ),
        (
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Flying"},
            "PropertyConstraintViolation",
        ),
        ("Authorize", {"idTag": "T" * 21}, "TypeConstraintViolation"),
        ("BootNotification", {**BOOT, "colour": "red"}, "FormationViolation"),
        ("StartTransaction", {**START, "meterStart": 12.5}, "TypeConstraintViolation"),
        ("StartTransaction", {**START, "idTag": "T" * 21}, "TypeConstraintViolation"),
        (
            "StopTransaction",
            {"meterStop": 5, "timestamp": "2026-11-20T10:00:00Z"},
            "OccurenceConstraintViolation",
        ),
    ],
)
async def test_schema_violations_get_the_16_error_and_change_nothing(
    station, token, action, payload, expected_code
):
    communicator = await open_socket()
    before = await _snapshot()
    reply = await raw_exchange(communicator, [2, "m1", action, payload])
    assert reply[:3] == [4, "m1", expected_code]
    assert await _snapshot() == before
    await assert_still_answers(communicator)
    await communicator.disconnect()


async def test_a_nul_character_is_stored_as_a_replacement_character(station):
    """PostgreSQL stores no NUL: it becomes U+FFFD, and the rest of the Call is kept."""
    communicator = await open_socket()
    reply = await raw_exchange(
        communicator, [2, "b", "BootNotification", {**BOOT, "chargePointVendor": "V\x00"}]
    )
    assert reply[0] == 3, reply
    status = {"connectorId": 1, "errorCode": "OtherError", "status": "Faulted", "info": "a\x00b"}
    reply = await raw_exchange(communicator, [2, "s", "StatusNotification", status])
    assert reply[:2] == [3, "s"], reply
    station = await ChargingStation.objects.aget(station_id="CP-1")
    connector = await Connector.objects.aget(station=station, connector_id=1)
    assert (station.vendor, connector.status, connector.info) == ("V\ufffd", "Faulted", "a\ufffdb")
    await communicator.disconnect()


async def test_an_escaped_backslash_before_u0000_is_no_nul(station):
    communicator = await open_socket()
    frame = '[2,"b","BootNotification",{"chargePointVendor":"V\\\\u0000","chargePointModel":"M"}]'
    reply = await raw_exchange(communicator, frame)
    assert reply[0] == 3, reply
    vendor = (await ChargingStation.objects.aget(station_id="CP-1")).vendor
    assert vendor == "V\\u0000"
    await communicator.disconnect()


async def test_unknown_message_type_is_ignored_and_socket_stays_open(station):
    communicator = await open_socket()
    await communicator.send_to(text_data='[7,"1","Heartbeat",{}]')
    assert await communicator.receive_nothing(timeout=0.3)
    await assert_still_answers(communicator)
    await communicator.disconnect()


async def test_reply_to_no_call_of_ours_is_ignored(station):
    communicator = await open_socket()
    await communicator.send_to(text_data='[3,"nobody-asked",{}]')
    await communicator.send_to(text_data='[4,"nobody-asked","GenericError","",{}]')
    assert await communicator.receive_nothing(timeout=0.3)
    await assert_still_answers(communicator)
    await communicator.disconnect()


async def test_null_payload_is_read_as_empty(station):
    communicator = await open_socket()
    reply = await raw_exchange(communicator, '[2,"n","Heartbeat",null]')
    assert reply[0] == 3
    await communicator.disconnect()


async def _snapshot():
    station = await ChargingStation.objects.aget(station_id="CP-1")
    return (
        await ChargingSession.objects.acount(),
        await Connector.objects.acount(),
        await IdToken.objects.acount(),
        station.vendor,
        station.model,
    )


@pytest.mark.parametrize("timestamp", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
async def test_a_time_beyond_the_calendar_in_utc_is_read_as_unsynchronised(
    station, token, timestamp
):
    """Python's datetime ends at year 9999 and starts at year 1: such a time, moved to
    UTC, is an unsynchronised clock like any other and the session starts now."""
    communicator = await open_socket()
    reply = await raw_exchange(
        communicator, [2, "s", "StartTransaction", {**START, "timestamp": timestamp}]
    )
    assert reply[0] == 3 and reply[2]["idTagInfo"]["status"] == "Accepted", reply
    session = await ChargingSession.objects.aget(transaction_id=str(reply[2]["transactionId"]))
    assert abs((session.started_at - timezone.now()).total_seconds()) < 60
    await assert_still_answers(communicator)
    await communicator.disconnect()


async def test_a_frame_with_a_nul_character_is_logged_with_the_rest_of_its_batch(
    station, flushed_log
):
    """PostgreSQL stores no NUL: one such frame must not cost the log its whole batch."""
    communicator = await open_socket()
    reply = await raw_exchange(communicator, '[2,"r","Heartbeat",{"x":"\x00"}]')
    assert reply[:3] == [4, "-1", "FormationViolation"]  # a raw control character
    reply = await raw_exchange(communicator, '[2,"e\\u0000","Heartbeat",{}]')
    assert reply[:2] == [3, "e\x00"]
    await assert_still_answers(communicator)
    await flushed_log()
    logged = [m async for m in OcppMessage.objects.order_by("pk")]
    assert [m.unique_id for m in logged if m.direction == "in"] == ["-1", "e\ufffd", "alive"]
    assert '{"x":"\ufffd"}' in logged[0].payload
    await communicator.disconnect()
