"""End to end against a live daphne: the handshake's HTTP answers and a whole charge."""

import asyncio
import base64

import pytest
from channels.db import database_sync_to_async
from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from stations.models import ChargingSession, ChargingStation, MeterSample, OcppMessage
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def auth(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def status_of(url: str, subprotocols=("ocpp1.6",), headers=None) -> int:
    try:
        async with connect(url, subprotocols=list(subprotocols), additional_headers=headers or {}):
            return 101
    except InvalidStatus as error:
        return error.response.status_code


@pytest.fixture
def live_ocpp16_url(transactional_db):
    """A live daphne's OCPP URL; stations CP-1, "RDAM 123" and "A+B*C"."""
    make_station("CP-1")
    make_station("RDAM 123")
    make_station("A+B*C")
    with live_daphne() as address:
        yield f"ws://{address}/ocpp/"


async def test_handshake_answers(live_ocpp16_url):
    good = auth("CP-1", STATION_PASSWORD)
    assert await status_of(live_ocpp16_url + "CP-1", headers=good) == 101
    assert await status_of(live_ocpp16_url + "NOPE", headers=auth("NOPE", "x" * 16)) == 404
    assert (
        await status_of(live_ocpp16_url + "CP-1", headers=auth("CP-1", "wrong-password-123")) == 401
    )
    assert await status_of(live_ocpp16_url + "CP-1") == 401
    with pytest.raises(InvalidStatus) as refused:
        async with connect(live_ocpp16_url + "CP-1", subprotocols=["ocpp1.6"]):
            pass
    assert refused.value.response.headers["WWW-Authenticate"] == 'Basic realm="OCPP"'
    assert await status_of(live_ocpp16_url + "CP-1", headers=auth("CP-2", STATION_PASSWORD)) == 401
    assert await status_of(live_ocpp16_url + "X" * 49, headers=good) == 400
    assert await status_of(live_ocpp16_url + "CP%3A1", headers=good) == 400
    assert await status_of(live_ocpp16_url + "CP-1", subprotocols=(), headers=good) == 400
    assert await status_of(live_ocpp16_url + "CP-1", subprotocols=("ocpp0.1",), headers=good) == 400
    assert (
        await status_of(live_ocpp16_url + "RDAM%20123", headers=auth("RDAM 123", STATION_PASSWORD))
        == 101
    )
    assert (
        await status_of(live_ocpp16_url + "A+B*C", headers=auth("A+B*C", STATION_PASSWORD)) == 101
    )
    assert (
        await status_of(live_ocpp16_url + "A%2BB%2AC", headers=auth("A+B*C", STATION_PASSWORD))
        == 101
    )


async def test_a_station_charges_end_to_end(live_ocpp16_url, token):
    async with connect(
        live_ocpp16_url + "CP-1",
        subprotocols=["ocpp1.6"],
        additional_headers=auth("CP-1", STATION_PASSWORD),
    ) as websocket:
        assert websocket.subprotocol == "ocpp1.6"
        cp = ChargePoint("CP-1", websocket)
        runner = asyncio.create_task(cp.start())
        boot = await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        assert boot.status == "Accepted"
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Charging")
        )
        assert (await cp.call(call.Authorize(id_tag="TAG-0001"))).id_tag_info[
            "status"
        ] == "Accepted"
        tx = (
            await cp.call(
                call.StartTransaction(
                    connector_id=1,
                    id_tag="TAG-0001",
                    meter_start=0,
                    timestamp="2026-11-20T10:00:00Z",
                )
            )
        ).transaction_id
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[
                    {"timestamp": "2026-11-20T10:10:00Z", "sampled_value": [{"value": "1234"}]}
                ],
            )
        )
        await cp.call(
            call.StopTransaction(
                meter_stop=2000, timestamp="2026-11-20T10:20:00Z", transaction_id=tx
            )
        )
        assert await ChargingStation.objects.filter(station_id="CP-1", connected=True).aexists()
        runner.cancel()
    session = await ChargingSession.objects.aget(transaction_id=str(tx))
    assert session.state == "ended" and session.energy_wh == 2000
    assert await MeterSample.objects.filter(session=session).acount() == 1
    await wait_for(lambda: OcppMessage.objects.filter(station__station_id="CP-1").acount(), 12)
    await wait_for(
        lambda: ChargingStation.objects.filter(station_id="CP-1", connected=False).acount(), 1
    )


async def test_second_socket_replaces_the_first(live_ocpp16_url):
    headers = auth("CP-1", STATION_PASSWORD)
    first = await connect(
        live_ocpp16_url + "CP-1", subprotocols=["ocpp1.6"], additional_headers=headers
    )
    second = await connect(
        live_ocpp16_url + "CP-1", subprotocols=["ocpp1.6"], additional_headers=headers
    )
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(first.recv(), 5)
    await second.send('[2,"1","Heartbeat",{}]')
    assert (await asyncio.wait_for(second.recv(), 5)).startswith('[3,"1"')
    await asyncio.sleep(0.3)
    assert await ChargingStation.objects.filter(station_id="CP-1", connected=True).aexists()
    await second.close()


async def test_station_that_stops_answering_pings_goes_offline(transactional_db):
    await database_sync_to_async(make_station)("CP-1")
    with live_daphne(OCPP_PING_INTERVAL=1) as address:
        websocket = await connect(
            f"ws://{address}/ocpp/CP-1",
            subprotocols=["ocpp1.6"],
            additional_headers=auth("CP-1", STATION_PASSWORD),
            ping_interval=None,
        )
        await wait_for(lambda: ChargingStation.objects.filter(connected=True).acount(), 1)
        websocket.transport.pause_reading()  # a dead station: no pongs, no frames
        await wait_for(
            lambda: ChargingStation.objects.filter(connected=False).acount(), 1, timeout=8
        )
        websocket.transport.abort()


async def test_unknown_station_registers_as_pending_under_that_policy(transactional_db):
    with live_daphne(OCPP_UNKNOWN_STATIONS="pending") as address:
        async with connect(f"ws://{address}/ocpp/NEW-1", subprotocols=["ocpp1.6"]) as websocket:
            await websocket.send(
                '[2,"b","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'
            )
            reply = await asyncio.wait_for(websocket.recv(), 5)
    assert '"status":"Pending"' in reply.replace(" ", "")
    station = await ChargingStation.objects.aget(station_id="NEW-1")
    assert station.registration_status == "pending" and station.vendor == "V"


async def wait_for(count, expected: int, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = await count()
        if got == expected or asyncio.get_running_loop().time() > deadline:
            assert got == expected
            return
        await asyncio.sleep(0.1)


async def test_a_process_busy_with_handshakes_refuses_more_with_503(transactional_db):
    await database_sync_to_async(make_station)("CP-1")
    # No handshake slot at all: every station waits its turn, then is sent away.
    with (
        live_daphne(OCPP_HANDSHAKE_CONCURRENCY=0, OCPP_HANDSHAKE_WAIT=0.2) as address,
        pytest.raises(InvalidStatus) as refused,
    ):
        async with connect(
            f"ws://{address}/ocpp/CP-1",
            subprotocols=["ocpp1.6"],
            additional_headers=auth("CP-1", STATION_PASSWORD),
        ):
            pass
    assert refused.value.response.status_code == 503
    assert 1 <= int(refused.value.response.headers["Retry-After"]) <= 10
    assert not await ChargingStation.objects.filter(connected=True).aexists()
