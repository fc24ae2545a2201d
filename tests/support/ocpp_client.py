"""Stations for tests: the `ocpp` library's ChargePoint over a real WebSocket.

In process, the socket is Channels' WebsocketCommunicator on the real ASGI
application; end to end, a `websockets` client against a live daphne.
"""

import asyncio
import base64
import contextlib
import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16

from chargenet.asgi import application
from stations.services import connections


def basic_auth(user: str, password: str) -> tuple[bytes, bytes]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return (b"authorization", f"Basic {token}".encode())


class CommunicatorConnection:
    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator

    async def send(self, message: str) -> None:
        await self.communicator.send_to(text_data=message)

    async def recv(self) -> str:
        # A timeout here would cancel the application: wait as long as the test runs.
        return await self.communicator.receive_from(timeout=3600)


class Station16(ChargePoint16):
    """A 1.6 charge point that answers ChargeNet's calls the way a real one would."""

    @on(Action16.reset)
    def on_reset(self, type, **kw):
        return result16.Reset(status="Accepted")


class StationCommunicator(WebsocketCommunicator):
    """A station's socket to the application in this process, which then holds the
    station as a serving process does: under its presence lease (runtime/presence.py).
    A live server that outlives a test (tests/octt's) sweeps the stations of processes
    without a lease, and a station swept mid-test misses its commands."""

    async def connect(self, timeout=1):
        await database_sync_to_async(connections.lease_renew)(ttl=3600)
        return await super().connect(timeout)


def communicator_for(path: str, subprotocols=("ocpp1.6",), headers=()):
    return StationCommunicator(
        application, path, subprotocols=list(subprotocols), headers=list(headers)
    )


@contextlib.asynccontextmanager
async def connected_station(
    station_id: str,
    password: str | None = None,
    version="ocpp1.6",
    station_class=Station16,
    path=None,
):
    """Connect a library ChargePoint in process; yields (charge_point, communicator)."""
    headers = [basic_auth(station_id, password)] if password else []
    communicator = communicator_for(path or f"/ocpp/{station_id}", (version,), headers)
    connected, subprotocol = await communicator.connect(timeout=10)
    assert connected, f"connection refused: {subprotocol}"
    assert subprotocol == version
    charge_point = station_class(station_id, CommunicatorConnection(communicator))
    runner = asyncio.create_task(charge_point.start())
    try:
        yield charge_point, communicator
    finally:
        runner.cancel()
        with contextlib.suppress(BaseException):
            await runner
        await communicator.disconnect()


async def raw_exchange(communicator: WebsocketCommunicator, frame, timeout: float = 5):
    """Send a raw frame (str or JSON-able) and return the decoded reply."""
    text = frame if isinstance(frame, str) else json.dumps(frame)
    await communicator.send_to(text_data=text)
    return json.loads(await communicator.receive_from(timeout=timeout))
