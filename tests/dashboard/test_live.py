"""The live socket /ws/live/: who may open it, subscriptions, and the events it forwards."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client
from ocpp.v16 import call

from chargenet.asgi import application
from stations import events
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.station("CP 1+ä")]


@database_sync_to_async
def session_cookie(username: str, staff: bool) -> bytes:
    user = get_user_model().objects.create_user(username, password="pass-12345", is_staff=staff)
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def live_socket(cookie: bytes | None, origin: bytes = b"http://localhost:8000"):
    headers = [(b"origin", origin)]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


@pytest.fixture
async def operator_cookie():
    return await session_cookie("operator", staff=True)


async def subscribe(socket, **message) -> dict:
    await socket.send_json_to(message)
    return await socket.receive_json_from(timeout=5)


async def publish(kind: str, station_pk: int, data: dict) -> None:
    await database_sync_to_async(events.publish)(kind, station_pk, data)


async def test_an_operator_receives_network_events(operator_cookie, station):
    socket = live_socket(operator_cookie)
    connected, _ = await socket.connect()
    assert connected
    assert await subscribe(socket, subscribe="network") == {
        "type": "subscribed",
        "subscribe": "network",
    }
    await publish("connector.status", station.pk, {"connector": 1, "status": "Charging"})
    assert await socket.receive_json_from(timeout=5) == {
        "type": "event",
        "kind": "connector.status",
        "station": station.pk,
        "data": {"connector": 1, "status": "Charging"},
    }
    await socket.disconnect()


async def test_a_station_subscription_gets_only_that_station(operator_cookie, station):
    other = await database_sync_to_async(make_station)("CP-2")
    socket = live_socket(operator_cookie)
    await socket.connect()
    answer = await subscribe(socket, subscribe="station", station=station.pk)
    assert answer == {"type": "subscribed", "subscribe": "station", "station": station.pk}
    await publish("session.updated", other.pk, {"session": 9})
    await publish("session.updated", station.pk, {"session": 1, "energy_wh": 10})
    event = await socket.receive_json_from(timeout=5)
    assert event["station"] == station.pk and event["data"]["energy_wh"] == 10
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


async def test_subscribing_again_replaces_the_subscription(operator_cookie, station):
    socket = live_socket(operator_cookie)
    await socket.connect()
    await subscribe(socket, subscribe="network")
    await subscribe(socket, subscribe="station", station=station.pk)
    await publish("station.connected", station.pk, {"connected": True})
    # Once, not twice: the network group was left.
    assert (await socket.receive_json_from(timeout=5))["kind"] == "station.connected"
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()


@pytest.mark.parametrize(
    "message",
    [
        {"subscribe": "station", "station": 999999},
        {"subscribe": "station", "station": "x"},
        {"subscribe": "everything"},
        ["network"],
    ],
)
async def test_bad_subscriptions_are_answered_with_an_error(operator_cookie, station, message):
    socket = live_socket(operator_cookie)
    await socket.connect()
    await socket.send_json_to(message)
    assert (await socket.receive_json_from(timeout=5))["type"] == "error"
    await socket.disconnect()


async def test_malformed_json_does_not_close_the_socket(operator_cookie):
    socket = live_socket(operator_cookie)
    await socket.connect()
    await socket.send_to(text_data="{not json")
    assert (await socket.receive_json_from(timeout=5))["type"] == "error"
    assert (await subscribe(socket, subscribe="network"))["type"] == "subscribed"
    await socket.disconnect()


async def test_drivers_are_refused():
    socket = live_socket(await session_cookie("driver", staff=False))
    connected, _ = await socket.connect()
    assert not connected


async def test_anonymous_users_are_refused():
    connected, _ = await live_socket(None).connect()
    assert not connected


async def test_pages_of_another_origin_are_refused(operator_cookie):
    connected, _ = await live_socket(operator_cookie, origin=b"https://evil.example").connect()
    assert not connected


async def test_a_status_notification_reaches_the_operator(operator_cookie):
    """End to end in process: an OCPP station speaks, the operator's socket hears it."""
    station = await database_sync_to_async(make_station)("CP-1")
    socket = live_socket(operator_cookie)
    await socket.connect()
    await subscribe(socket, subscribe="station", station=station.pk)
    async with connected_station("CP-1", STATION_PASSWORD) as (charge_point, _):
        assert (await socket.receive_json_from(timeout=5))["kind"] == "station.connected"
        await charge_point.call(
            call.StatusNotification(connector_id=2, error_code="NoError", status="Preparing")
        )
        event = await socket.receive_json_from(timeout=5)
    assert event["kind"] == "connector.status"
    assert event["data"] == {"connector": 2, "status": "Preparing", "error_code": "NoError"}
    await asyncio.sleep(0)
    await socket.disconnect()
