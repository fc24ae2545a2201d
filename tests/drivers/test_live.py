"""/ws/me/: a driver's page hears about the driver's own sessions, nobody else's."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chargenet.asgi import application
from stations import events
from stations.models import ChargingSession, IdToken
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def setup():
    station = make_station("EB-1")
    users = get_user_model().objects
    dora, otto = users.create_user("dora"), users.create_user("otto")
    sessions = []
    for user in (dora, otto):
        token = IdToken.objects.create(value=f"{user.username}-1", owner=user)
        sessions.append(
            ChargingSession.objects.create(
                station=station,
                id_token=token,
                started_at=timezone.now() - timedelta(minutes=5),
                transaction_id=str(len(sessions) + 1),
            )
        )
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
