"""Bad frames get the CallError OCPP-J 2.0.1 names (2.1 too); the socket stays open.

Raw frames through the real consumer: whatever a 2.0.1 / 2.1 station sends, it gets
the code OCPP-J 2.0.1 §4.2.3 / §4.4 names, the database is unchanged, and a
Heartbeat afterwards is still answered. Pending/Rejected stations get SecurityError
for everything but BootNotification and what ChargeNet itself asked for.
"""

import json

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    DeviceModelVariable,
    IdToken,
    MeterSample,
    SessionEvent,
    StationEvent,
)
from stations.ocpp import adapter_class
from stations.ocpp.base import StationInfo
from stations.services import connections, device_model
from stations.writers.message_log import message_log
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import basic_auth, communicator_for, raw_exchange

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

VERSIONS = ("ocpp2.0.1", "ocpp2.1")
T0 = "2026-11-20T10:00:00Z"
BOOT = {"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"}
STATUS = {"timestamp": T0, "connectorStatus": "Available", "evseId": 1, "connectorId": 1}
STARTED = {
    "eventType": "Started",
    "timestamp": T0,
    "triggerReason": "Authorized",
    "seqNo": 0,
    "transactionInfo": {"transactionId": "TX-1", "chargingState": "Charging"},
    "evse": {"id": 1, "connectorId": 1},
    "idToken": {"idToken": "TAG-0001", "type": "ISO14443"},
    "meterValue": [
        {
            "timestamp": T0,
            "sampledValue": [{"value": 1000, "measurand": "Energy.Active.Import.Register"}],
        }
    ],
}


async def open_socket(version="ocpp2.0.1", station_id="CP-1"):
    communicator = communicator_for(
        f"/ocpp/{station_id}",
        subprotocols=(version,),
        headers=[basic_auth(station_id, STATION_PASSWORD)],
    )
    connected, subprotocol = await communicator.connect(timeout=10)
    assert connected and subprotocol == version
    return communicator


async def assert_still_answers(communicator):
    reply = await raw_exchange(communicator, [2, "alive", "Heartbeat", {}])
    assert reply[0] == 3 and reply[1] == "alive" and "currentTime" in reply[2]


async def snapshot():
    station = await ChargingStation.objects.aget(station_id="CP-1")
    connectors = [
        (c.connector_id, c.status, c.evse_id)
        async for c in Connector.objects.order_by("connector_id")
    ]
    return (
        await ChargingSession.objects.acount(),
        await SessionEvent.objects.acount(),
        await MeterSample.objects.acount(),
        await StationEvent.objects.acount(),
        await DeviceModelVariable.objects.acount(),
        await IdToken.objects.acount(),
        connectors,
        station.vendor,
        station.model,
        station.status,
    )


# --- frames that are not OCPP-J ------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("frame", "expected_id", "expected_code"),
    [
        # §4.2.3: an unreadable message id is answered with "-1".
        ("hello", "-1", "RpcFrameworkError"),
        ('[2,"1","Heart', "-1", "RpcFrameworkError"),
        ("[2,", "-1", "RpcFrameworkError"),
        ("{}", "-1", "RpcFrameworkError"),
        ("42", "-1", "RpcFrameworkError"),
        ('"text"', "-1", "RpcFrameworkError"),
        ("[]", "-1", "RpcFrameworkError"),
        ('[2,"1"]', "1", "RpcFrameworkError"),
        ('[2,1,"Heartbeat",{}]', "-1", "RpcFrameworkError"),
        ('[2,"","Heartbeat",{}]', "-1", "RpcFrameworkError"),
        ('[2,"1","Heartbeat",[]]', "1", "RpcFrameworkError"),
        ('[2,"1","Heartbeat",{},{}]', "1", "RpcFrameworkError"),
        ('[2,"1",5,{}]', "1", "RpcFrameworkError"),
        ('[[2],"1","Heartbeat",{}]', "1", "MessageTypeNotSupported"),
        ('[{},"1","Heartbeat",{}]', "1", "MessageTypeNotSupported"),
        # A message id over 36 characters is echoed in the CallError.
        (json.dumps([2, "x" * 37, "Heartbeat", {}]), "x" * 37, "RpcFrameworkError"),
        # §4.4: an unknown MessageTypeId.
        ('[7,"1","Heartbeat",{}]', "1", "MessageTypeNotSupported"),
        ('[0,"1","Heartbeat",{}]', "1", "MessageTypeNotSupported"),
        ('["2","1","Heartbeat",{}]', "1", "MessageTypeNotSupported"),
        # An action nobody knows: NotImplemented, also for 2.1 (the library sends nothing).
        ('[2,"1","FooBar",{}]', "1", "NotImplemented"),
        # A CSMS-to-station action sent by the station: known but not supported here.
        ('[2,"1","Reset",{"type":"Immediate"}]', "1", "NotSupported"),
        ('[2,"1","RequestStartTransaction",{}]', "1", "NotSupported"),
        ('[2,"1","GetVariables",{}]', "1", "NotSupported"),
    ],
)
async def test_broken_frames_get_the_201_error(station, version, frame, expected_id, expected_code):
    communicator = await open_socket(version)
    before = await snapshot()
    reply = await raw_exchange(communicator, frame)
    assert reply[0] == 4
    assert reply[1] == expected_id
    assert reply[2] == expected_code
    assert isinstance(reply[3], str) and len(reply[3]) <= 255
    assert isinstance(reply[4], dict)
    assert frame not in reply[3]  # the raw invalid text is not echoed back
    await assert_still_answers(communicator)
    assert await snapshot() == before
    await communicator.disconnect()


async def test_an_action_only_21_knows_is_not_implemented_in_201_but_not_supported_in_21(station):
    frame = [2, "d1", "NotifyDERAlarm", {"controlType": "FreqDroop", "timestamp": T0}]
    communicator = await open_socket("ocpp2.0.1")
    assert (await raw_exchange(communicator, frame))[:3] == [4, "d1", "NotImplemented"]
    await communicator.disconnect()
    communicator = await open_socket("ocpp2.1")
    assert (await raw_exchange(communicator, frame))[:3] == [4, "d1", "NotSupported"]
    await assert_still_answers(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        # OCPP-J 2.1 SEND (6) and CALLRESULTERROR (5) are never answered.
        [6, "s1", "NotifyPeriodicEventStream", {"id": 1, "pending": 0, "basetime": T0, "data": []}],
        [5, "r1", "FormatViolation", "", {}],
    ],
)
async def test_21_send_and_callresulterror_are_not_answered(station, frame):
    communicator = await open_socket("ocpp2.1")
    await communicator.send_to(text_data=json.dumps(frame))
    assert await communicator.receive_nothing(timeout=0.3)
    await assert_still_answers(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize("message_type", [5, 6])
async def test_201_has_no_message_types_5_and_6(station, message_type):
    communicator = await open_socket("ocpp2.0.1")
    reply = await raw_exchange(communicator, [message_type, "m1", "Heartbeat", {}])
    assert reply[:3] == [4, "m1", "MessageTypeNotSupported"]
    await communicator.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_reply_to_no_call_of_ours_is_ignored(station, version):
    communicator = await open_socket(version)
    await communicator.send_to(text_data='[3,"nobody-asked",{}]')
    await communicator.send_to(text_data='[4,"nobody-asked","GenericError","",{}]')
    assert await communicator.receive_nothing(timeout=0.3)
    await assert_still_answers(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_null_payload_is_read_as_empty(station, version):
    communicator = await open_socket(version)
    reply = await raw_exchange(communicator, '[2,"n","Heartbeat",null]')
    assert reply[0] == 3 and "currentTime" in reply[2]
    await communicator.disconnect()


# --- payloads that break the schema ----------------------------------------------------


def _without(payload: dict, *path: str) -> dict:
    copy = json.loads(json.dumps(payload))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


def _with(payload: dict, value, *path: str) -> dict:
    copy = json.loads(json.dumps(payload))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


SCHEMA_CASES = [
    # Required field missing: OccurrenceConstraintViolation.
    ("BootNotification", _without(BOOT, "chargingStation", "model"), "Occurrence"),
    ("BootNotification", _without(BOOT, "reason"), "Occurrence"),
    ("StatusNotification", _without(STATUS, "evseId"), "Occurrence"),
    ("TransactionEvent", _without(STARTED, "transactionInfo", "transactionId"), "Occurrence"),
    ("TransactionEvent", _without(STARTED, "seqNo"), "Occurrence"),
    ("Authorize", {}, "Occurrence"),
    ("BootNotification", {**BOOT, "customData": {"colour": "red"}}, "Occurrence"),
    # Too few occurrences of a list (minItems) is a cardinality violation too.
    ("MeterValues", {"evseId": 1, "meterValue": []}, "Occurrence"),
    ("TransactionEvent", _with(STARTED, [], "meterValue"), "Occurrence"),
    # Wrong JSON type: TypeConstraintViolation.
    ("StatusNotification", _with(STATUS, "one", "evseId"), "Type"),
    ("TransactionEvent", _with(STARTED, 1.5, "seqNo"), "Type"),
    ("TransactionEvent", _with(STARTED, 12, "transactionInfo", "transactionId"), "Type"),
    ("TransactionEvent", _with(STARTED, "yes", "offline"), "Type"),
    ("Heartbeat", {"customData": "x"}, "Type"),
    # Invalid enum value: PropertyConstraintViolation.
    ("StatusNotification", _with(STATUS, "Flying", "connectorStatus"), "Property"),
    ("BootNotification", _with(BOOT, "Bored", "reason"), "Property"),
    ("TransactionEvent", _with(STARTED, "Paused", "eventType"), "Property"),
    ("TransactionEvent", _with(STARTED, "Dancing", "transactionInfo", "chargingState"), "Property"),
    # String too long: FormatViolation (PropertyConstraintViolation / TypeConstraint… allowed).
    ("BootNotification", _with(BOOT, "V" * 51, "chargingStation", "vendorName"), "Length"),
    ("Authorize", {"idToken": {"idToken": "T" * 256, "type": "ISO14443"}}, "Length"),
    ("TransactionEvent", _with(STARTED, "X" * 37, "transactionInfo", "transactionId"), "Length"),
    # An unknown property (only customData may be added): FormatViolation.
    ("BootNotification", {**BOOT, "colour": "red"}, "Format"),
    ("StatusNotification", {**STATUS, "errorCode": "NoError"}, "Format"),
]
EXPECTED = {
    "Occurrence": {"OccurrenceConstraintViolation"},
    "Type": {"TypeConstraintViolation"},
    "Property": {"PropertyConstraintViolation"},
    "Length": {"FormatViolation", "PropertyConstraintViolation", "TypeConstraintViolation"},
    "Format": {"FormatViolation"},
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("action", "payload", "kind"), SCHEMA_CASES)
async def test_schema_violations_get_the_201_error_and_change_nothing(
    station, token, version, action, payload, kind
):
    communicator = await open_socket(version)
    before = await snapshot()
    reply = await raw_exchange(communicator, [2, "m1", action, payload])
    assert reply[:2] == [4, "m1"]
    assert reply[2] in EXPECTED[kind], reply
    assert reply[2] != "FormationViolation"  # the 1.6 spelling
    assert isinstance(reply[4], dict)
    await assert_still_answers(communicator)
    assert await snapshot() == before
    await communicator.disconnect()


NOTIFY_EVENT = {
    "generatedAt": T0,
    "seqNo": 0,
    "eventData": [
        {
            "eventId": 1,
            "timestamp": T0,
            "trigger": "Delta",
            "actualValue": "Faulted",
            "eventNotificationType": "HardWiredMonitor",
            "component": {"name": "Connector", "evse": {"id": -2, "connectorId": 1}},
            "variable": {"name": "AvailabilityState"},
        }
    ],
}
OUT_OF_RANGE = [
    # The schemas say "integer"; the spec text gives the range (EVSE id > 0, ids and
    # sequence numbers count from 0), and ChargeNet stores them as 32-bit integers.
    ("StatusNotification", _with(STATUS, -1, "evseId")),
    ("StatusNotification", _with(STATUS, -1, "connectorId")),
    ("StatusNotification", _with(STATUS, 2**31, "evseId")),
    ("TransactionEvent", _with(STARTED, -1, "seqNo")),
    ("TransactionEvent", _with(STARTED, 2**31, "seqNo")),
    ("TransactionEvent", _with(STARTED, -1, "evse", "id")),
    ("TransactionEvent", _with(STARTED, 2**40, "transactionInfo", "remoteStartId")),
    ("TransactionEvent", _with(STARTED, -(2**40), "reservationId")),
    ("MeterValues", {"evseId": -1, "meterValue": STARTED["meterValue"]}),
    ("NotifyEvent", NOTIFY_EVENT),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("action", "payload"), OUT_OF_RANGE)
async def test_ids_out_of_range_are_a_property_violation_not_an_internal_error(
    station, token, version, action, payload
):
    communicator = await open_socket(version)
    before = await snapshot()
    reply = await raw_exchange(communicator, [2, "r1", action, payload])
    assert reply[:3] == [4, "r1", "PropertyConstraintViolation"], reply
    await assert_still_answers(communicator)
    assert await snapshot() == before
    await communicator.disconnect()


# --- a frame refused by a failing write: its unseen EVSE gets no connector ----------------

UNSEEN_EVSE = 7  # make_station's connectors are 1 and 2: EVSE 7 would get a new one
UNSEEN_STATUS = _with(STATUS, UNSEEN_EVSE, "evseId")
UNSEEN_STARTED = _with(STARTED, UNSEEN_EVSE, "evse", "id")
FAILING_WRITES = [
    # (action, payload naming the unseen EVSE, the step of its write made to fail)
    ("StatusNotification", UNSEEN_STATUS, "billing.services.status.status_history_record"),
    (
        "StatusNotification",
        _with(UNSEEN_STATUS, "Occupied", "connectorStatus"),
        "billing.services.status.status_history_record",
    ),
    (
        "TransactionEvent",
        UNSEEN_STARTED,
        "stations.services.sessions.close_superseded_sessions",
    ),
    ("TransactionEvent", UNSEEN_STARTED, "stations.services.meter_values.samples_store"),
    (
        "MeterValues",
        {"evseId": UNSEEN_EVSE, "meterValue": STARTED["meterValue"]},
        "stations.services.meter_values.rows_write",
    ),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("action", "payload", "step"), FAILING_WRITES)
async def test_a_failing_write_leaves_no_connector_for_an_unseen_evse(
    station, token, version, action, payload, step, monkeypatch
):
    """The EVSE's connector is created in the transaction of the write it serves."""

    def broken(*args, **kwargs):
        raise RuntimeError("the database refused the write")

    communicator = await open_socket(version)
    before = await snapshot()
    monkeypatch.setattr(step, broken)
    reply = await raw_exchange(communicator, [2, "w1", action, payload])
    monkeypatch.undo()
    assert reply[:2] == [4, "w1"], reply
    await assert_still_answers(communicator)
    assert await snapshot() == before
    assert not await Connector.objects.filter(evse_id=UNSEEN_EVSE).aexists()
    # Sent again, once the write succeeds, the frame creates the EVSE's connector.
    reply = await raw_exchange(communicator, [2, "w2", action, payload])
    assert reply[:2] == [3, "w2"], reply
    assert await Connector.objects.filter(evse_id=UNSEEN_EVSE).aexists()
    await communicator.disconnect()


# A time that leaves the calendar once converted to UTC (the fuzzing found it) is an
# unsynchronised clock like any other: the frame is answered and its time read as now.
PAST_9999 = "9999-12-31T23:59:59-01:00"
FAR_TIMES = [
    ("StatusNotification", _with(_with(STATUS, UNSEEN_EVSE, "evseId"), PAST_9999, "timestamp")),
    (
        "MeterValues",
        {
            "evseId": UNSEEN_EVSE,
            "meterValue": [{"timestamp": PAST_9999, "sampledValue": [{"value": 1000}]}],
        },
    ),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("action", "payload"), FAR_TIMES)
async def test_a_time_beyond_the_calendar_is_read_as_now(station, token, version, action, payload):
    communicator = await open_socket(version)
    reply = await raw_exchange(communicator, [2, "t1", action, payload])
    assert reply[:2] == [3, "t1"], reply
    connector = await Connector.objects.aget(evse_id=UNSEEN_EVSE)
    assert abs((connector.status_since - timezone.now()).total_seconds()) < 60
    await communicator.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_id_token_type_outside_201_is_refused_only_by_201(station, token, version):
    """2.0.1 has an IdTokenEnumType; 2.1 made it a string of up to 20 characters."""
    communicator = await open_socket(version)
    reply = await raw_exchange(
        communicator, [2, "a1", "Authorize", {"idToken": {"idToken": "TAG-0001", "type": "Bogus"}}]
    )
    if version == "ocpp2.0.1":
        assert reply[:3] == [4, "a1", "PropertyConstraintViolation"]
    else:
        assert reply[0] == 3 and reply[2]["idTokenInfo"]["status"] == "Accepted"
    await communicator.disconnect()


@pytest.mark.parametrize("version", VERSIONS)
async def test_custom_data_is_tolerated_everywhere(station, token, version):
    """TC_P_03: customData (with its vendorId) may appear on any object."""
    custom = {"vendorId": "com.example", "colour": "red", "nested": {"a": [1, 2]}}
    boot = {
        "chargingStation": {
            "model": "M",
            "vendorName": "V",
            "customData": custom,
            "modem": {"iccid": "8931", "customData": custom},
        },
        "reason": "PowerUp",
        "customData": custom,
    }
    started = json.loads(json.dumps(STARTED))
    started["customData"] = custom
    started["transactionInfo"]["customData"] = custom
    started["evse"]["customData"] = custom
    started["idToken"]["customData"] = custom
    started["meterValue"][0]["customData"] = custom
    started["meterValue"][0]["sampledValue"][0]["customData"] = custom
    communicator = await open_socket(version)
    boot_reply = await raw_exchange(communicator, [2, "b1", "BootNotification", boot])
    status_reply = await raw_exchange(
        communicator, [2, "s1", "StatusNotification", {**STATUS, "customData": custom}]
    )
    started_reply = await raw_exchange(communicator, [2, "t1", "TransactionEvent", started])
    heartbeat = await raw_exchange(communicator, [2, "h1", "Heartbeat", {"customData": custom}])
    await communicator.disconnect()
    assert boot_reply[0] == 3 and boot_reply[2]["status"] == "Accepted"
    assert status_reply == [3, "s1", {}]
    assert started_reply[0] == 3 and started_reply[2]["idTokenInfo"]["status"] == "Accepted"
    assert heartbeat[0] == 3
    saved = await ChargingStation.objects.aget(station_id="CP-1")
    assert (saved.vendor, saved.model, saved.iccid) == ("V", "M", "8931")
    session = await ChargingSession.objects.aget()
    assert session.transaction_id == "TX-1" and session.meter_start_wh == 1000


# --- Pending / Rejected: SecurityError for all but BootNotification ----------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("registration", "status"), [("pending", "Pending"), ("rejected", "Rejected")]
)
async def test_boot_pending_or_rejected_then_security_error(station, version, registration, status):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(registration_status=registration)
    communicator = await open_socket(version)
    boot = await raw_exchange(communicator, [2, "b1", "BootNotification", BOOT])
    assert boot[:2] == [3, "b1"]
    assert boot[2]["status"] == status and boot[2]["interval"] == 60
    assert boot[2]["currentTime"].endswith("Z")
    before = await snapshot()
    for unique_id, action, payload in [
        ("h1", "Heartbeat", {}),
        ("s1", "StatusNotification", {**STATUS, "connectorStatus": "Faulted"}),
        ("a1", "Authorize", {"idToken": {"idToken": "TAG-0001", "type": "ISO14443"}}),
        ("t1", "TransactionEvent", STARTED),
        ("m1", "MeterValues", {"evseId": 1, "meterValue": STARTED["meterValue"]}),
        ("n1", "NotifyReport", {"requestId": 1, "generatedAt": T0, "seqNo": 0}),
        ("f1", "FirmwareStatusNotification", {"status": "Installed"}),
    ]:
        reply = await raw_exchange(communicator, [2, unique_id, action, payload])
        assert reply[:3] == [4, unique_id, "SecurityError"], action
    # A second BootNotification is still answered.
    again = await raw_exchange(communicator, [2, "b2", "BootNotification", BOOT])
    assert again[2]["status"] == status
    await communicator.disconnect()
    assert await snapshot() == before
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.vendor == "V" and saved.registration_status == registration


@pytest.mark.parametrize("version", VERSIONS)
async def test_pending_station_is_served_once_an_operator_accepts_it(station, version):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(registration_status="pending")
    communicator = await open_socket(version)
    assert (await raw_exchange(communicator, [2, "b1", "BootNotification", BOOT]))[2][
        "status"
    ] == "Pending"
    assert (await raw_exchange(communicator, [2, "h1", "Heartbeat", {}]))[2] == "SecurityError"
    await ChargingStation.objects.filter(pk=station.pk).aupdate(registration_status="accepted")
    await assert_still_answers(communicator)
    await communicator.disconnect()


class FakeConnection:
    def __init__(self):
        self.sent: list = []

    async def send(self, message: str) -> None:
        self.sent.append(json.loads(message))

    async def recv(self) -> str:
        raise RuntimeError("unused")


def make_adapter(station, subprotocol, registration):
    info = StationInfo(station.pk, station.station_id, registration)
    connection = FakeConnection()
    return adapter_class(subprotocol)(info, connection), connection


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("registration", ["pending", "rejected"])
async def test_a_message_the_csms_asked_for_passes_once_while_pending(
    station, version, registration
):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(registration_status=registration)
    adapter, connection = make_adapter(station, version, registration)
    faulted = {**STATUS, "connectorStatus": "Faulted"}
    await adapter.handle_frame(json.dumps([2, "s0", "StatusNotification", faulted]))
    # ChargeNet triggers a StatusNotification (TriggerMessage): that one is served ...
    adapter.expect_from_station("StatusNotification")
    await adapter.handle_frame(json.dumps([2, "s1", "StatusNotification", faulted]))
    # ... once: the next one is refused again, and so is any other action.
    await adapter.handle_frame(json.dumps([2, "s2", "StatusNotification", STATUS]))
    await adapter.handle_frame(json.dumps([2, "h1", "Heartbeat", {}]))
    await message_log.flush()
    assert connection.sent[0][:3] == [4, "s0", "SecurityError"]
    assert connection.sent[1] == [3, "s1", {}]
    assert connection.sent[2][:3] == [4, "s2", "SecurityError"]
    assert connection.sent[3][:3] == [4, "h1", "SecurityError"]
    connector = await Connector.objects.aget(station=station, connector_id=1)
    assert connector.status == "Faulted" and connector.error_code == "OtherError"


@pytest.mark.parametrize("version", VERSIONS)
async def test_adapter_never_raises_and_answers_internal_error(station, version, monkeypatch):
    """A service that fails answers InternalError; the adapter lives on."""

    def broken(**kwargs):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(connections, "station_touch", broken)
    adapter, connection = make_adapter(station, version, "accepted")
    await adapter.handle_frame(json.dumps([2, "h1", "Heartbeat", {}]))
    monkeypatch.undo()
    await adapter.handle_frame(json.dumps([2, "h2", "Heartbeat", {}]))
    await message_log.flush()
    assert connection.sent[0][:3] == [4, "h1", "InternalError"]
    assert connection.sent[1][:2] == [3, "h2"]


@pytest.mark.parametrize("version", VERSIONS)
async def test_bad_frames_are_logged(station, version):
    adapter, connection = make_adapter(station, version, "accepted")
    await adapter.handle_frame("hello")
    await adapter.handle_frame('[2,"u1","FooBar",{}]')
    await message_log.flush()
    logged = await database_sync_to_async(list)(
        station.messages.order_by("id").values_list("direction", "error_code")
    )
    assert logged == [
        ("in", ""),
        ("out", "RpcFrameworkError"),
        ("in", ""),
        ("out", "NotImplemented"),
    ]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_message_id_of_exactly_36_characters_is_fine(station, version):
    communicator = await open_socket(version)
    reply = await raw_exchange(communicator, [2, "x" * 36, "Heartbeat", {}])
    assert reply[:2] == [3, "x" * 36]
    await communicator.disconnect()


AVAILABILITY_AND_PROBLEM = {
    "generatedAt": "2026-11-24T10:00:00Z",
    "seqNo": 0,
    "eventData": [
        {
            "eventId": 1,
            "timestamp": "2026-11-24T09:59:00Z",
            "trigger": "Delta",
            "actualValue": "Unavailable",
            "eventNotificationType": "HardWiredNotification",
            "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 1}},
            "variable": {"name": "AvailabilityState"},
        },
        {
            "eventId": 2,
            "timestamp": "2026-11-24T09:59:30Z",
            "trigger": "Alerting",
            "actualValue": "true",
            "eventNotificationType": "HardWiredMonitor",
            "component": {"name": "ChargingStation"},
            "variable": {"name": "Problem"},
        },
    ],
}


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_notify_event_refused_halfway_leaves_none_of_its_writes(
    station, version, monkeypatch
):
    """Events, connector statuses and device model of one NotifyEvent: all or nothing
    (found by the fuzzing on PostgreSQL, which refuses a NUL in a variable name)."""

    def broken(**kwargs):
        raise RuntimeError("the database refused the write")

    communicator = await open_socket(version)
    before = await snapshot()
    monkeypatch.setattr(device_model, "device_model_report", broken)
    reply = await raw_exchange(communicator, [2, "n1", "NotifyEvent", AVAILABILITY_AND_PROBLEM])
    monkeypatch.undo()
    assert reply[:2] == [4, "n1"], reply
    assert await snapshot() == before
    reply = await raw_exchange(communicator, [2, "n2", "NotifyEvent", AVAILABILITY_AND_PROBLEM])
    assert reply[:2] == [3, "n2"], reply
    assert await StationEvent.objects.filter(kind="NotifyEvent").acount() == 2
    await communicator.disconnect()
