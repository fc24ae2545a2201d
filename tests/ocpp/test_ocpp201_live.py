"""2.0.1 / 2.1 end to end against a live daphne: handshake rules and a whole charge."""

import asyncio
import base64

import pytest
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call as call21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    MeterSample,
    OcppMessage,
    SessionEvent,
)
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CLIENTS = {"ocpp2.0.1": (ChargePoint201, call201), "ocpp2.1": (ChargePoint21, call21)}
LONGEST_ID = "S" * 48


def auth(user: str, password: str = STATION_PASSWORD) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def status_of(url: str, subprotocols=("ocpp2.0.1",), headers=None) -> int:
    try:
        async with connect(url, subprotocols=list(subprotocols), additional_headers=headers or {}):
            return 101
    except InvalidStatus as error:
        return error.response.status_code


async def negotiated(url: str, offered, headers) -> tuple[str | None, str]:
    """The chosen subprotocol and the version stored while the socket is open."""
    async with connect(url, subprotocols=list(offered), additional_headers=headers) as websocket:
        # Answered only after the consumer's connect() has stored the version.
        await websocket.send('[2,"h1","Heartbeat",{}]')
        assert (await asyncio.wait_for(websocket.recv(), 5)).startswith('[3,"h1"')
        station = await ChargingStation.objects.aget(station_id="CP-1")
        return websocket.subprotocol, station.ocpp_version


@pytest.fixture
def live_ocpp201_url(transactional_db):
    """A live daphne's OCPP URL; stations CP-1 and one with the longest id."""
    make_station("CP-1")
    make_station(LONGEST_ID)
    with live_daphne() as address:
        yield f"ws://{address}/ocpp/"


async def test_201_handshake_answers(live_ocpp201_url):
    assert await status_of(live_ocpp201_url + "CP-1", headers=auth("CP-1")) == 101
    assert await status_of(live_ocpp201_url + LONGEST_ID, headers=auth(LONGEST_ID)) == 101
    # identifierString: at most 48 characters, and no ':' (the Basic-auth separator).
    too_long = "S" * 49
    assert await status_of(live_ocpp201_url + too_long, headers=auth(too_long)) == 400
    assert await status_of(live_ocpp201_url + "CP%3A1", headers=auth("CP-1")) == 400
    assert await status_of(live_ocpp201_url + "CP:1", headers=auth("CP-1")) == 400
    # Security profile 1 and the unknown-station policy, the same as for 1.6.
    assert (
        await status_of(live_ocpp201_url + "CP-1", headers=auth("CP-1", "wrong-password-123"))
        == 401
    )
    assert await status_of(live_ocpp201_url + "CP-1") == 401
    assert await status_of(live_ocpp201_url + "NOPE", headers=auth("NOPE", "x" * 16)) == 404
    for version in ("ocpp2.1", "ocpp2.0.1"):
        assert (
            await status_of(live_ocpp201_url + "S" * 49, (version,), headers=auth("S" * 49)) == 400
        )
    assert await status_of(live_ocpp201_url + "CP-1", ("ocpp2.0",), headers=auth("CP-1")) == 400


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (("ocpp1.6", "ocpp2.0.1"), "ocpp2.0.1"),
        (("ocpp2.0.1", "ocpp1.6"), "ocpp2.0.1"),
        (("ocpp1.6", "ocpp2.0.1", "ocpp2.1"), "ocpp2.1"),
        (("ocpp2.1", "ocpp1.6"), "ocpp2.1"),
        (("ocpp0.1", "ocpp2.0.1"), "ocpp2.0.1"),
        (("ocpp1.6",), "ocpp1.6"),
    ],
)
async def test_the_newest_offered_version_wins_and_is_stored(live_ocpp201_url, offered, chosen):
    subprotocol, stored = await negotiated(live_ocpp201_url + "CP-1", offered, auth("CP-1"))
    assert (subprotocol, stored) == (chosen, chosen.removeprefix("ocpp"))


async def test_a_client_offering_permessage_deflate_exchanges_frames(live_ocpp201_url):
    """2.0.1 §3.3: the CSMS must also work for a client that offers compression."""
    async with connect(
        live_ocpp201_url + "CP-1",
        subprotocols=["ocpp2.0.1"],
        additional_headers=auth("CP-1"),
        compression="deflate",
    ) as websocket:
        await websocket.send('[2,"h1","Heartbeat",{}]')
        reply = await asyncio.wait_for(websocket.recv(), 5)
        big = "x" * 20000  # compresses well, if compressed
        await websocket.send(f'[2,"d1","DataTransfer",{{"vendorId":"com.example","data":"{big}"}}]')
        data_reply = await asyncio.wait_for(websocket.recv(), 5)
    assert reply.startswith('[3,"h1",{"currentTime":')
    assert data_reply == '[3,"d1",{"status":"UnknownVendorId"}]'


async def test_permessage_deflate_is_negotiated(live_ocpp201_url):
    """2.0.1 §3.3: the CSMS SHALL support RFC 7692 permessage-deflate."""
    async with connect(
        live_ocpp201_url + "CP-1",
        subprotocols=["ocpp2.0.1"],
        additional_headers=auth("CP-1"),
        compression="deflate",
    ) as websocket:
        extensions = websocket.response.headers.get("Sec-WebSocket-Extensions", "")
        await websocket.send('[2,"h1","Heartbeat",{}]')
        reply = await asyncio.wait_for(websocket.recv(), 5)
    assert reply.startswith('[3,"h1"')
    assert extensions.startswith("permessage-deflate")
    # The station keeps to the smallest window: what the server holds per socket.
    assert "client_max_window_bits=9" in extensions


@pytest.mark.parametrize("version", list(CLIENTS))
async def test_a_station_charges_end_to_end(live_ocpp201_url, token, version):
    station_class, call = CLIENTS[version]
    async with connect(
        live_ocpp201_url + "CP-1", subprotocols=[version], additional_headers=auth("CP-1")
    ) as websocket:
        assert websocket.subprotocol == version
        cp = station_class("CP-1", websocket)
        runner = asyncio.create_task(cp.start())

        async def ask(payload):
            return await cp.call(payload, suppress=False)

        boot = await ask(
            call.BootNotification(
                charging_station={"vendor_name": "V", "model": "M", "serial_number": "S-1"},
                reason="PowerUp",
            )
        )
        await ask(
            call.StatusNotification(
                timestamp="2026-11-20T10:00:00Z",
                connector_status="Occupied",
                evse_id=1,
                connector_id=1,
            )
        )
        authorized = await ask(
            call.Authorize(id_token={"id_token": "TAG-0001", "type": "ISO14443"})
        )

        def event(event_type, seq_no, minute, wh, **extra):
            return call.TransactionEvent(
                event_type=event_type,
                timestamp=f"2026-11-20T10:{minute:02d}:00Z",
                seq_no=seq_no,
                meter_value=[
                    {
                        "timestamp": f"2026-11-20T10:{minute:02d}:00Z",
                        "sampled_value": [
                            {"value": wh, "measurand": "Energy.Active.Import.Register"}
                        ],
                    }
                ],
                **extra,
            )

        started = await ask(
            event(
                "Started",
                0,
                0,
                1000,
                trigger_reason="Authorized",
                transaction_info={"transaction_id": "E2E-1", "charging_state": "Charging"},
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-0001", "type": "ISO14443"},
            )
        )
        await ask(
            call.MeterValues(
                evse_id=1,
                meter_value=[
                    {
                        "timestamp": "2026-11-20T10:05:00Z",
                        "sampled_value": [
                            {"value": 1.5, "unit_of_measure": {"unit": "kWh"}},
                            {"value": 7200, "measurand": "Power.Active.Import"},
                        ],
                    }
                ],
            )
        )
        charging = await ChargingSession.objects.aget(transaction_id="E2E-1")
        await ask(
            event(
                "Updated",
                1,
                10,
                2000,
                trigger_reason="MeterValuePeriodic",
                transaction_info={"transaction_id": "E2E-1", "charging_state": "Charging"},
            )
        )
        await ask(
            event(
                "Ended",
                2,
                20,
                3000,
                trigger_reason="EVCommunicationLost",
                transaction_info={
                    "transaction_id": "E2E-1",
                    "charging_state": "EVConnected",
                    "stopped_reason": "EVDisconnected",
                },
            )
        )
        finishing = (
            await Connector.objects.aget(station__station_id="CP-1", connector_id=1)
        ).status
        await ask(
            call.StatusNotification(
                timestamp="2026-11-20T10:21:00Z",
                connector_status="Available",
                evse_id=1,
                connector_id=1,
            )
        )
        assert await ChargingStation.objects.filter(station_id="CP-1", connected=True).aexists()
        runner.cancel()
    assert boot.status == "Accepted" and boot.interval == 300
    assert authorized.id_token_info["status"] == "Accepted"
    assert started.id_token_info["status"] == "Accepted"
    assert (charging.state, charging.energy_wh, charging.power_w) == ("active", 500, 7200)
    assert finishing == "Finishing"
    session = await ChargingSession.objects.select_related("connector").aget()
    assert session.transaction_id == "E2E-1" and session.state == "ended"
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 3000, 2000)
    assert session.id_tag == "TAG-0001" and session.connector.connector_id == 1
    assert session.stop_reason == "EVDisconnected" and session.flags == []
    assert await SessionEvent.objects.filter(session=session).acount() == 3
    energy = MeterSample.objects.filter(session=session, measurand="Energy.Active.Import.Register")
    assert sorted([int(v) async for v in energy.values_list("value", flat=True)]) == [
        1000,
        1500,
        2000,
        3000,
    ]
    saved = await ChargingStation.objects.aget(station_id="CP-1")
    assert (saved.vendor, saved.model, saved.serial_number) == ("V", "M", "S-1")
    assert saved.ocpp_version == version.removeprefix("ocpp")
    connector = await Connector.objects.aget(station=saved, connector_id=1)
    assert (connector.status, connector.evse_id, connector.evse_connector_id) == ("Available", 1, 1)
    await wait_for(lambda: OcppMessage.objects.filter(station=saved).acount(), 16)
    await wait_for(
        lambda: ChargingStation.objects.filter(station_id="CP-1", connected=False).acount(), 1
    )


async def test_unknown_201_station_registers_as_pending_and_gets_security_error(
    transactional_db,
):
    with live_daphne(OCPP_UNKNOWN_STATIONS="pending") as address:
        async with connect(f"ws://{address}/ocpp/NEW-201", subprotocols=["ocpp2.0.1"]) as ws:
            await ws.send(
                '[2,"b","BootNotification",{"chargingStation":{"model":"M","vendorName":"V"},'
                '"reason":"PowerUp"}]'
            )
            boot = await asyncio.wait_for(ws.recv(), 5)
            await ws.send('[2,"h","Heartbeat",{}]')
            heartbeat = await asyncio.wait_for(ws.recv(), 5)
    assert '"status":"Pending"' in boot.replace(" ", "")
    assert heartbeat.replace(" ", "").startswith('[4,"h","SecurityError"')
    station = await ChargingStation.objects.aget(station_id="NEW-201")
    assert station.registration_status == "pending" and station.vendor == "V"
    assert station.ocpp_version == "2.0.1"


async def wait_for(count, expected: int, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = await count()
        if got == expected or asyncio.get_running_loop().time() > deadline:
            assert got == expected
            return
        await asyncio.sleep(0.1)
