"""Commands from ChargeNet reach the station in its version's words; outcomes are stored."""

import asyncio
import json

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from stations.commands import service as commands
from stations.commands.service import CommandError, command_send
from stations.models import (
    ChargingSession,
    ChargingStation,
    Command,
    DeviceModelVariable,
    IdToken,
    OcppMessage,
)
from stations.services.reconcile import session_soft_stop
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import basic_auth, communicator_for, connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

PROFILE = {
    "id": 7,
    "purpose": "tx_default",
    "stack_level": 1,
    "schedule": {"unit": "W", "periods": [{"start_period": 0, "limit": 7400}]},
}
# action, params, OCPP 1.6 message, OCPP 2.0.1 message
CASES = [
    ("reset", {"type": "hard"}, "Reset", "Reset"),
    (
        "remote_start",
        {"id_tag": "TAG-0001", "connector_id": 1},
        "RemoteStartTransaction",
        "RequestStartTransaction",
    ),
    ("remote_stop", {"transaction_id": "42"}, "RemoteStopTransaction", "RequestStopTransaction"),
    ("unlock_connector", {"connector_id": 1}, "UnlockConnector", "UnlockConnector"),
    (
        "change_availability",
        {"connector_id": 1, "type": "inoperative"},
        "ChangeAvailability",
        "ChangeAvailability",
    ),
    ("get_configuration", {}, "GetConfiguration", "GetBaseReport"),
    (
        "set_configuration",
        {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": "60"},
        "ChangeConfiguration",
        "SetVariables",
    ),
    (
        "trigger_message",
        {"message": "StatusNotification", "connector_id": 1},
        "TriggerMessage",
        "TriggerMessage",
    ),
    ("clear_cache", {}, "ClearCache", "ClearCache"),
    ("data_transfer", {"vendor_id": "com.example", "data": "ping"}, "DataTransfer", "DataTransfer"),
    (
        "update_firmware",
        {"location": "https://fw.example/1.2.bin"},
        "UpdateFirmware",
        "UpdateFirmware",
    ),
    ("get_diagnostics", {"location": "https://csms.example/upload/"}, "GetDiagnostics", "GetLog"),
    (
        "reserve_now",
        {
            "connector_id": 1,
            "id_tag": "TAG-0001",
            "reservation_id": 5,
            "expires_at": "2030-01-01T00:00:00Z",
        },
        "ReserveNow",
        "ReserveNow",
    ),
    ("cancel_reservation", {"reservation_id": 5}, "CancelReservation", "CancelReservation"),
    (
        "set_charging_profile",
        {"connector_id": 1, "charging_profile": PROFILE},
        "SetChargingProfile",
        "SetChargingProfile",
    ),
    ("clear_charging_profile", {"id": 7}, "ClearChargingProfile", "ClearChargingProfile"),
    (
        "get_composite_schedule",
        {"connector_id": 1, "duration": 3600},
        "GetCompositeSchedule",
        "GetCompositeSchedule",
    ),
    (
        "send_local_list",
        {
            "list_version": 4,
            "update_type": "full",
            "entries": [{"value": "TAG-0001", "status": "accepted"}],
        },
        "SendLocalList",
        "SendLocalList",
    ),
    ("get_local_list_version", {}, "GetLocalListVersion", "GetLocalListVersion"),
]
VERSIONS = [("ocpp1.6", "1.6", Station16, 2), ("ocpp2.0.1", "2.0.1", Station201, 3)]


@pytest.mark.parametrize(
    ("subprotocol", "label", "client", "column"), VERSIONS, ids=["1.6", "2.0.1"]
)
@pytest.mark.parametrize(
    ("action", "params", "message16", "message201"), CASES, ids=[c[0] for c in CASES]
)
async def test_every_action_reaches_the_station(
    station, subprotocol, label, client, column, action, params, message16, message201
):
    message = message16 if label == "1.6" else message201
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=subprotocol, station_class=client
    ) as (cp, _):
        await booted(cp, label)
        command = await command_send(station, action, params, timeout=5)
    assert command.status == "accepted", command.error
    assert command.ocpp_action == message and command.finished_at is not None
    assert [name for name, _ in cp.received] == [message]
    assert command.response is not None
    saved = await Command.objects.aget(pk=command.pk)
    assert saved.status == "accepted" and saved.action == action


async def test_reset_words_per_version(station):
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp16, _):
        await command_send(station, "reset", {"type": "soft"}, timeout=5)
    async with connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=Station201
    ) as (cp201, _):
        await booted(cp201, "2.0.1")
        await command_send(station, "reset", {"type": "hard"}, timeout=5)
    assert cp16.received[0][1]["type"] == "Soft"
    assert cp201.received[0][1]["type"] == "Immediate"


async def test_rejected_answer_is_stored(station):
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        cp.answer["Reset"] = "Rejected"
        command = await command_send(station, "reset", {"type": "hard"}, timeout=5)
    assert command.status == "rejected" and command.response == {"status": "Rejected"}


async def test_call_error_is_stored_as_failed(station):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):  # no ClearCache handler
        command = await command_send(station, "clear_cache", {}, timeout=5)
    assert command.status == "failed"
    assert command.error["code"] == "NotImplemented"


async def test_no_answer_is_a_timeout(station):
    class Silent(Station16):
        async def route_message(self, raw):  # swallow ChargeNet's calls
            if raw.startswith("[2"):
                return
            await super().route_message(raw)

    async with connected_station("CP-1", STATION_PASSWORD, station_class=Silent):
        command = await command_send(station, "reset", {"type": "hard"}, timeout=0.5)
    assert command.status == "timeout"


async def test_disconnected_station_is_offline_at_once(station):
    command = await command_send(station, "reset", {"type": "hard"}, timeout=30)
    assert command.status == "offline" and "not connected" in command.error["description"]


async def test_stale_connected_flag_is_found_offline_without_waiting_for_the_timeout(
    station, monkeypatch
):
    monkeypatch.setattr(commands, "ACK_TIMEOUT", 0.3)
    await ChargingStation.objects.filter(pk=station.pk).aupdate(connected=True, ocpp_version="1.6")
    command = await asyncio.wait_for(
        command_send(station, "reset", {"type": "hard"}, timeout=30), 5
    )
    assert command.status == "offline"


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("explode", {}, "action"),
        ("reset", {"type": "sideways"}, "type"),
        ("remote_start", {}, "id_tag"),
        ("unlock_connector", {"connector_id": 9}, "connector_id"),
        ("change_availability", {"connector_id": 1}, "type"),
        ("get_composite_schedule", {"duration": "long"}, "duration"),
        ("set_configuration", {"key": "HeartbeatInterval"}, "value"),
    ],
)
async def test_bad_commands_are_refused_before_sending(station, action, params, field):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(ocpp_version="1.6")
    with pytest.raises(CommandError) as error:
        await command_send(station, action, params)
    assert field in error.value.errors
    assert not await Command.objects.aexists()


async def test_configuration_answers_fill_the_device_model(station):
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16):
        await command_send(station, "get_configuration", {}, timeout=5)
    values = {v.variable: (v.value, v.mutability) async for v in DeviceModelVariable.objects.all()}
    assert values == {
        "HeartbeatInterval": ("300", "ReadWrite"),
        "NumberOfConnectors": ("2", "ReadOnly"),
    }


async def test_remote_start_is_linked_to_the_session_it_led_to_16(station, token):
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        command = await command_send(
            station, "remote_start", {"id_tag": "TAG-0001", "connector_id": 1}, timeout=5
        )
        result = await cp.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG-0001", meter_start=0, timestamp="2026-11-24T10:00:00Z"
            )
        )
    await command.arefresh_from_db()
    session = await ChargingSession.objects.aget(transaction_id=str(result.transaction_id))
    assert command.session_id == session.pk


async def test_remote_start_is_linked_by_remote_start_id_201(station, token):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=Station201
    ) as (cp, _):
        await booted(cp, "2.0.1")
        command = await command_send(
            station, "remote_start", {"id_tag": "TAG-0001", "connector_id": 1}, timeout=5
        )
        sent = cp.received[0][1]
        assert sent["remote_start_id"] == command.pk and sent["id_token"]["id_token"] == "TAG-0001"
        await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp="2026-11-24T10:00:00Z",
                trigger_reason="RemoteStart",
                seq_no=0,
                transaction_info={"transaction_id": "T-9", "remote_start_id": command.pk},
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-0001", "type": "ISO14443"},
            )
        )
    await command.arefresh_from_db()
    session = await ChargingSession.objects.aget(transaction_id="T-9")
    assert command.session_id == session.pk and session.remote_start_id == command.pk


@pytest.mark.parametrize(
    ("params", "sent_type"),
    [
        ({"id_tag": "app-7"}, "Central"),  # the stored type, whatever the case of the tag
        ({"id_tag": "APP-7", "id_token_type": "eMAID"}, "eMAID"),  # the caller's choice
        ({"id_tag": "STRANGER"}, "ISO14443"),  # a token ChargeNet does not hold
    ],
    ids=["stored", "explicit", "unknown"],
)
async def test_201_remote_start_names_the_tokens_stored_type(station, params, sent_type):
    await IdToken.objects.acreate(value="APP-7", type="Central")
    async with connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=Station201
    ) as (cp, _):
        await booted(cp, "2.0.1")
        command = await command_send(station, "remote_start", params, timeout=5)
    assert command.status == "accepted"
    (_, sent), *_ = cp.received
    assert sent["id_token"] == {"id_token": params["id_tag"], "type": sent_type}


async def test_soft_stop_ends_a_lost_session_with_what_was_measured(station):
    session = await ChargingSession.objects.acreate(
        station=station,
        transaction_id="5",
        started_at="2026-11-24T10:00:00Z",
        meter_start_wh=1000,
        meter_last_wh=4500,
        energy_wh=3500,
    )
    ended = await asyncio.to_thread(session_soft_stop, session_id=session.pk)
    assert ended.state == "ended" and ended.stop_reason == "SoftStop"
    assert ended.meter_stop_wh == 4500 and ended.energy_wh == 3500 and "soft_stopped" in ended.flags


@pytest.mark.parametrize(
    ("subprotocol", "client", "key"),
    [
        ("ocpp1.6", Station16, "AuthorizationKey"),
        ("ocpp2.0.1", Station201, "SecurityCtrlr.BasicAuthPassword"),
    ],
)
async def test_passwords_sent_to_a_station_are_never_stored(station, subprotocol, client, key):
    from stations.models import OcppMessage
    from stations.writers.message_log import message_log

    secret = "new-station-secret-42"
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=subprotocol, station_class=client
    ) as (cp, _):
        if subprotocol != "ocpp1.6":
            await booted(cp, "2.0.1")
        command = await command_send(
            station, "set_configuration", {"key": key, "value": secret}, timeout=5
        )
    await message_log.flush()
    assert command.status == "accepted"
    assert secret in str(cp.received)  # the station did get it
    assert secret not in str(command.params)
    logged = [m.payload async for m in OcppMessage.objects.all()]
    assert logged and not any(secret in payload for payload in logged)


async def _answer_raw(station, action: str, answer: str) -> Command:
    """Send `action` to CP-1 and answer it with the raw text `answer % message_id`."""
    communicator = communicator_for("/ocpp/CP-1", headers=[basic_auth("CP-1", STATION_PASSWORD)])
    assert (await communicator.connect(timeout=10))[0]
    sending = asyncio.create_task(command_send(station, action, {}, timeout=5))
    message_id = json.loads(await communicator.receive_from(timeout=5))[1]
    await communicator.send_to(text_data=answer % message_id)
    command = await sending
    await communicator.disconnect()
    return command


async def test_a_nul_in_an_answer_is_stored_as_a_replacement_character(station, flushed_log):
    """An answer cannot be refused, and PostgreSQL stores no NUL in text or jsonb."""
    answer = (
        '[3,"%s",{"configurationKey":'
        '[{"key":"Odd\\u0000Key","readonly":true,"value":"a\\u0000b"}]}]'
    )
    command = await _answer_raw(station, "get_configuration", answer)
    assert command.status == "accepted", command.error
    assert command.response["configurationKey"][0]["value"] == "a\ufffdb"
    variable = await DeviceModelVariable.objects.aget(variable="Odd\ufffdKey")
    assert variable.value == "a\ufffdb"

    command = await _answer_raw(station, "clear_cache", '[4,"%s","GenericError","no\\u0000pe",{}]')
    assert command.status == "failed" and command.error["description"] == "no\ufffdpe"
    await flushed_log()
    assert await OcppMessage.objects.filter(payload__contains="\\u0000").acount() == 2


async def test_an_answer_sent_just_before_the_station_closes_counts(station):
    """A station that accepts a Reset and reboots at once: its answer is the outcome."""
    communicator = communicator_for("/ocpp/CP-1", headers=[basic_auth("CP-1", STATION_PASSWORD)])
    assert (await communicator.connect(timeout=10))[0]
    sending = asyncio.create_task(command_send(station, "reset", {"type": "hard"}, timeout=5))
    message_id = json.loads(await communicator.receive_from(timeout=5))[1]
    await communicator.send_to(text_data=json.dumps([3, message_id, {"status": "Accepted"}]))
    await communicator.disconnect()
    command = await sending
    assert command.status == "accepted", command.error
    assert command.response == {"status": "Accepted"}


async def test_a_command_waiting_when_the_station_closes_is_offline_at_once(station):
    communicator = communicator_for("/ocpp/CP-1", headers=[basic_auth("CP-1", STATION_PASSWORD)])
    assert (await communicator.connect(timeout=10))[0]
    sending = asyncio.create_task(command_send(station, "reset", {"type": "hard"}, timeout=30))
    await communicator.receive_from(timeout=5)
    await communicator.disconnect()
    command = await asyncio.wait_for(sending, 5)
    assert command.status == "offline"
    assert command.error == {"description": "The station disconnected."}
