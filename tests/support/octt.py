"""OCTT-style scenario replays: a station over a real WebSocket, the operator over REST.

The OCA's test tool plays the charging station against the central system under test;
each "manual action: trigger the CSMS to ..." step is an operator's request. Here a
library charge point (tests/support/command_stations.py) connects to a live daphne
(tests/support/live.py) the way a station does, and `Operator.command` is the manual
action: `POST /api/v1/stations/<id>/commands/` on the same server, answered once the
station has answered. The REST call runs on a worker thread so the station, on the
test's event loop, can answer meanwhile.
"""

import asyncio
import base64
import contextlib
from dataclasses import dataclass
from urllib.parse import quote

import requests
from websockets.asyncio.client import connect

from tests.support.charge_points import booted
from tests.support.command_stations import AllCommands16, AllCommands201
from tests.support.factories import STATION_PASSWORD


@dataclass
class Operator:
    """The operator's REST client on a live server (token authentication)."""

    address: str
    key: str

    def _post(self, path: str, body: dict) -> requests.Response:
        return requests.post(
            f"http://{self.address}/api/v1/{path}",
            json=body,
            headers={"Authorization": f"Token {self.key}"},
            timeout=30,
        )

    async def command(self, station_id: str, action: str, **params) -> tuple[int, dict]:
        """The manual action: ask ChargeNet to send `action`; (HTTP status, body)."""
        path = f"stations/{quote(station_id, safe='')}/commands/"
        response = await asyncio.to_thread(self._post, path, {"action": action, "params": params})
        return response.status_code, response.json()

    async def post(self, path: str, body: dict) -> tuple[int, dict]:
        response = await asyncio.to_thread(self._post, path, body)
        return response.status_code, response.json()


def _basic(station_id: str, password: str) -> dict:
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@contextlib.asynccontextmanager
async def station_on(
    address: str,
    station_id: str = "CP-1",
    version: str = "2.0.1",
    station_class=None,
    password: str = STATION_PASSWORD,
):
    """Connect a library station to the live server and boot it; yields the station."""
    station_class = station_class or (AllCommands201 if version != "1.6" else AllCommands16)
    async with connect(
        f"ws://{address}/ocpp/{quote(station_id, safe='')}",
        subprotocols=[f"ocpp{version}"],
        additional_headers=_basic(station_id, password),
    ) as websocket:
        station = station_class(station_id, websocket)
        runner = asyncio.create_task(station.start())
        try:
            await booted(station, version)
            yield station
        finally:
            runner.cancel()
            with contextlib.suppress(BaseException):
                await runner


def sent(station, action: str) -> list[dict]:
    """The payloads (as on the wire) of every `action` the CSMS sent the station."""
    return [payload for name, payload in station.frames if name == action]


def only(station, action: str) -> dict:
    """The one `action` the CSMS sent (fails if it sent none or several)."""
    payloads = sent(station, action)
    assert len(payloads) == 1, f"{action} sent {len(payloads)} times: {station.frames}"
    return payloads[0]
