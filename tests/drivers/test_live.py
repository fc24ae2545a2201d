"""/ws/me/: a driver's page hears about the driver's own sessions, nobody else's."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from chargenet.asgi import application
from stations import events
from tests.support.factories import (
    ChargingSessionFactory,
    IdTokenFactory,
    UserFactory,
    make_station,
)

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def setup():
    station = make_station("EB-1")
    dora, otto = UserFactory(username="dora"), UserFactory(username="otto")
    sessions = [
        ChargingSessionFactory(
            station=station,
            connector=None,
            id_token=IdTokenFactory(value=f"{user.username}-1", owner=user),
            started_at=timezone.now() - timedelta(minutes=5),
            transaction_id=str(number),
        )
        for number, user in enumerate((dora, otto), start=1)
    ]
    client = Client()
    client.force_login(dora)
    return station, sessions, f"sessionid={client.cookies['sessionid'].value}".encode()


def socket(cookie: bytes | None):
    headers = [(b"origin", b"http://localhost:8000")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/me/", headers=headers)


async def test_anonymous_visitors_are_refused():
    connected, _ = await socket(None).connect()
    assert not connected


async def test_only_the_drivers_own_session_events_arrive():
    station, (mine, theirs), cookie = await setup()
    ws = socket(cookie)
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "subscribed"
    send = get_channel_layer().group_send
    group = events.station_group(station.pk)
    for session in (theirs, mine):
        message = {"session": session.pk, "energy_wh": 10}
        event = {"type": "live.event", "kind": "session.updated", "station": station.pk}
        await send(group, {**event, "data": message})
    answer = await ws.receive_json_from()
    assert answer == {"type": "event", "kind": "session.updated", "session": mine.pk}
    assert await ws.receive_nothing()
    await ws.disconnect()
