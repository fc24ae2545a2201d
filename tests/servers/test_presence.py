"""Presence that cannot lie: a daphne killed with `kill -9` holding a station that then
stays away. Its lease stops being renewed, and the other process marks the station
offline within two ping intervals: in the API, on the operator's page and to commands
(answered `offline` at once, not after a timeout). The station coming back to the other
process is connected again.

Two real daphne processes on PostgreSQL and Redis (`make test-servers`).
"""

import asyncio
import base64
import json
import os
import signal
import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from ocpp.v16 import call
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from stations.models import ChargingStation, ServerLease
from tests.support.charge_points import Station16
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne_process
from tests.support.waiting import wait

pytestmark = [pytest.mark.server, pytest.mark.live, pytest.mark.django_db(transaction=True)]

PING = 3  # seconds: OCPP_PING_INTERVAL of both processes


@pytest.fixture(autouse=True)
def servers_required():
    if os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    reason = "two daphne processes need REDIS_URL and DATABASE_URL on PostgreSQL"
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {reason}")
    pytest.skip(reason)


def _get(url: str, headers: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _post(url: str, headers: dict, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


async def _boot(address: str):
    """A 1.6 station on `address` that booted; returns (websocket, reader task)."""
    auth = base64.b64encode(f"CP-1:{STATION_PASSWORD}".encode()).decode()
    websocket = await connect(
        f"ws://{address}/ocpp/CP-1",
        subprotocols=["ocpp1.6"],
        additional_headers={"Authorization": f"Basic {auth}"},
    )
    station = Station16("CP-1", websocket)
    reader = asyncio.create_task(station.start())
    await station.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
    return websocket, reader


def test_a_station_of_a_killed_process_shows_offline_within_two_ping_intervals(transactional_db):
    make_station("CP-1")
    operator = get_user_model().objects.create_user("ops", password="ops-pass-123", is_staff=True)
    token = {"Authorization": f"Token {Token.objects.create(user=operator).key}"}
    browser = Client()
    browser.force_login(operator)
    cookie = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    env = {"OCPP_PING_INTERVAL": PING}

    with (
        live_daphne_process(**env) as (address_a, process_a),
        live_daphne_process(**env) as (address_b, _),
    ):
        api = f"http://{address_b}/api/v1/stations/CP-1/"

        def connected() -> bool:
            status, body = _get(api, token)
            assert status == 200, body
            return json.loads(body)["connected"]

        async def held_then_killed() -> float:
            websocket, reader = await _boot(address_a)
            assert await asyncio.to_thread(connected) is True
            held = await ChargingStation.objects.aget(station_id="CP-1")
            lease = await ServerLease.objects.aget(name=held.connection_process)
            assert lease.expires_at > held.last_seen
            os.kill(process_a.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            await asyncio.to_thread(process_a.wait, 10)
            reader.cancel()
            await websocket.close()  # the station stays away
            return killed_at

        killed_at = asyncio.run(held_then_killed())
        wait(lambda: not connected(), 2 * PING, "the API to show the station offline")
        assert time.monotonic() - killed_at <= 2 * PING
        # The dead process's lease is forgotten; the living one's is not.
        assert not ServerLease.objects.filter(name__contains=f":{process_a.pid}:").exists()
        assert ServerLease.objects.count() == 1

        status, page = _get(f"http://{address_b}/stations/CP-1/", cookie)
        assert status == 200 and b"badge-offline" in page and b"badge-online" not in page
        started = time.monotonic()
        status, command = _post(api + "commands/", token, {"action": "reset", "params": {}})
        assert status in (200, 201) and command["status"] == "offline", command
        assert time.monotonic() - started < 2  # known offline: no wait for an answer

        # The station comes back to the other process: connected again, and stays so
        # across that process's lease renewals and sweeps.
        async def back_on_b() -> None:
            websocket, reader = await _boot(address_b)
            try:
                assert await asyncio.to_thread(connected) is True
                await asyncio.sleep(2 * PING)
                assert await asyncio.to_thread(connected) is True
            finally:
                reader.cancel()
                await websocket.close()

        asyncio.run(back_on_b())
