"""Two real daphne processes on Redis and PostgreSQL: the station on one, the operator on the other.

Through the REST API of process B an operator resets, unlocks, reconfigures, reserves,
limits and remotely starts and stops a station whose socket process A holds; each
outcome is stored. Needs REDIS_URL (and a database both processes share): run by
`make test-servers`; skipped without it, failed when REQUIRE_SERVERS=1.
"""

import asyncio
import base64
import contextlib
import json
import os
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.utils import timezone
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from stations.models import ChargingProfile, ChargingSession, Command, IdToken, Reservation
from tests.support.charge_points import Station16, Station201
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne

pytestmark = [pytest.mark.server, pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def servers_required():
    if os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL"):
        return
    reason = "two daphne processes need REDIS_URL and DATABASE_URL (run `make test-servers`)"
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def two_daphnes(transactional_db):
    make_station("CP-1")
    IdToken.objects.create(value="TAG-0001")
    operator = get_user_model().objects.create_user("ops", password="ops-pass-123", is_staff=True)
    with live_daphne() as process_a, live_daphne() as process_b:
        yield process_a, process_b, Token.objects.create(user=operator).key


class Api:
    """The REST API of one process, called off the event loop the station runs on."""

    def __init__(self, address: str, token: str):
        self.base = f"http://{address}/api/v1/"
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def _request(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, headers=self.headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    async def post(self, path: str, body: dict) -> dict:
        status, answer = await asyncio.to_thread(self._request, "POST", path, body)
        assert status in (200, 201), (status, answer)
        return answer

    async def get(self, path: str) -> dict:
        status, answer = await asyncio.to_thread(self._request, "GET", path, None)
        assert status == 200, (status, answer)
        return answer

    async def command(self, action: str, params: dict) -> dict:
        answer = await self.post(
            "stations/CP-1/commands/", {"action": action, "params": params, "timeout": 10}
        )
        assert answer["status"] == "accepted", answer
        return answer


@contextlib.asynccontextmanager
async def station_on(address: str, version: str):
    client = Station16 if version == "1.6" else Station201
    auth = base64.b64encode(f"CP-1:{STATION_PASSWORD}".encode()).decode()
    async with connect(
        f"ws://{address}/ocpp/CP-1",
        subprotocols=[f"ocpp{version}"],
        additional_headers={"Authorization": f"Basic {auth}"},
    ) as websocket:
        cp = client("CP-1", websocket)
        runner = asyncio.create_task(cp.start())
        try:
            if version == "1.6":
                await cp.call(
                    call16.BootNotification(charge_point_vendor="V", charge_point_model="M")
                )
            else:
                await cp.call(
                    call201.BootNotification(
                        charging_station={"vendor_name": "V", "model": "M"}, reason="PowerUp"
                    )
                )
            yield cp
        finally:
            runner.cancel()
            with contextlib.suppress(BaseException):
                await runner


async def stored(command: dict) -> Command:
    return await Command.objects.aget(pk=command["id"])


async def start_session(cp, version: str, remote_start: dict) -> None:
    if version == "1.6":
        await cp.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="TAG-0001",
                meter_start=0,
                timestamp=timezone.now().isoformat(),
            )
        )
        return
    await cp.call(
        call201.TransactionEvent(
            event_type="Started",
            timestamp=timezone.now().isoformat(),
            trigger_reason="RemoteStart",
            seq_no=0,
            transaction_info={"transaction_id": "TX-1", "remote_start_id": remote_start["id"]},
            evse={"id": 1, "connector_id": 1},
            id_token={"id_token": "TAG-0001", "type": "ISO14443"},
        )
    )


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_an_operator_on_one_process_commands_a_station_on_the_other(two_daphnes, version):
    process_a, process_b, token = two_daphnes
    api = Api(process_b, token)
    async with station_on(process_a, version) as cp:
        reset = await api.command("reset", {"type": "hard"})
        unlock = await api.command("unlock_connector", {"connector_id": 1})
        key = "HeartbeatInterval" if version == "1.6" else "OCPPCommCtrlr.HeartbeatInterval"
        configure = await api.command("set_configuration", {"key": key, "value": "60"})
        reservation = await api.post(
            "reservations/",
            {
                "station": "CP-1",
                "connector_id": 2,
                "id_token": "TAG-0001",
                "expires_at": (timezone.now() + timedelta(hours=1)).isoformat(),
                "timeout": 10,
            },
        )
        profile = await api.post(
            "charging-profiles/",
            {
                "station": "CP-1",
                "connector_id": 1,
                "purpose": "tx_default",
                "schedule": {"unit": "W", "periods": [{"start_period": 0, "limit": 7400}]},
                "timeout": 10,
            },
        )
        start = await api.command("remote_start", {"id_tag": "TAG-0001", "connector_id": 1})
        await start_session(cp, version, start)
        started = await api.get(f"commands/{start['id']}/")
        stop = await api.command("remote_stop", {"session_id": started["session"]})

    assert [name for name, _ in cp.received] == [
        "Reset",
        "UnlockConnector",
        "ChangeConfiguration" if version == "1.6" else "SetVariables",
        "ReserveNow",
        "SetChargingProfile",
        "RemoteStartTransaction" if version == "1.6" else "RequestStartTransaction",
        "RemoteStopTransaction" if version == "1.6" else "RequestStopTransaction",
    ]
    for answer in (reset, unlock, configure, start, stop):
        command = await stored(answer)
        assert command.status == "accepted" and command.finished_at is not None
    assert (await Reservation.objects.aget(pk=reservation["id"])).status == "accepted"
    assert (await ChargingProfile.objects.aget(pk=profile["id"])).status == "accepted"
    session = await ChargingSession.objects.aget(pk=started["session"])
    assert started["remote_start_state"] == "started"
    sent_stop = cp.received[-1][1]
    assert str(sent_stop["transaction_id"]) == session.transaction_id


async def test_a_station_on_no_process_is_offline_at_once(two_daphnes):
    _, process_b, token = two_daphnes
    await sync_to_async(Command.objects.all().delete)()
    status, answer = await asyncio.to_thread(
        Api(process_b, token)._request,
        "POST",
        "stations/CP-1/commands/",
        {"action": "reset", "params": {"type": "soft"}},
    )
    assert status == 201 and answer["status"] == "offline"
