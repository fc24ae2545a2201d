"""Answers while PostgreSQL or Redis is unreachable: 503 with Retry-After, never a 500.

Handshakes (refused before the upgrade), the API (its error shape), other pages; API
throttling lets requests through when its cache is away; a command whose station's
group Redis lost still reaches the socket the database names.
"""

import json
import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator
from django.db import OperationalError
from django.urls import include, path
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.throttling import TokenRateThrottle
from chargenet.asgi import application
from runtime.outages import RETRY_AFTER, is_outage
from stations.commands.service import command_send
from stations.models import ChargingStation, Command
from stations.services import handshake
from tests.support.charge_points import Station16, booted
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import basic_auth, connected_station

pytestmark = pytest.mark.urls("tests.runtime.test_outages")


class DatabaseAway(APIView):
    permission_classes = []

    def get(self, request):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


class RedisAway(APIView):
    permission_classes = []

    def get(self, request):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


class Throttled(APIView):
    permission_classes = []
    throttle_classes = [TokenRateThrottle]

    def get(self, request):
        return Response({"ok": True})


def page_database_away(request):
    raise OperationalError("server closed the connection unexpectedly")


def page_bug(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("api/v1/db-away/", DatabaseAway.as_view()),
    path("api/v1/redis-away/", RedisAway.as_view()),
    path("api/v1/throttled/", Throttled.as_view()),
    path("page/", page_database_away),
    path("bug/", page_bug),
    path("api/v1/", include("api.urls")),
]
handler500 = "runtime.outages.server_error"


# --- HTTP ---------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["db-away", "redis-away"])
def test_the_api_answers_503_in_its_error_shape_with_retry_after(client, where, caplog):
    response = client.get(f"/api/v1/{where}/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) == RETRY_AFTER
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["errors"] == {}
    assert "try again later" in body["detail"]
    assert "Traceback" not in caplog.text


def test_a_page_whose_database_is_away_answers_503_not_500(client):
    response = client.get("/page/")
    assert response.status_code == 503 and int(response["Retry-After"]) == RETRY_AFTER


def test_a_real_bug_is_still_a_500(client):
    client.raise_request_exception = False
    assert client.get("/bug/").status_code == 500


def test_an_outage_raised_outside_a_view_is_a_503(rf):
    from runtime.outages import server_error

    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        response = server_error(rf.get("/api/v1/stations/"))
    assert response.status_code == 503
    assert set(json.loads(response.content)) == {"detail", "errors"}


def test_wrapped_errors_count_as_outages():
    try:
        try:
            raise RedisConnectionError("refused")
        except RedisConnectionError as error:
            raise RuntimeError("while throttling") from error
    except RuntimeError as error:
        assert is_outage(error)
    assert not is_outage(ValueError("bad input"))


@pytest.mark.django_db
def test_throttling_fails_open_and_logs_it_when_its_cache_is_away(api_client, monkeypatch, caplog):
    class CacheAway:
        def get(self, *args, **kwargs):
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

        set = get

    monkeypatch.setattr(TokenRateThrottle, "cache", CacheAway())
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        assert api_client.get("/api/v1/throttled/").status_code == 200
    assert "throttling skipped" in caplog.text


# --- handshakes -----------------------------------------------------------------------------


async def denied_handshake(station_id: str = "CP-1") -> dict:
    """The HTTP answer a station gets before the upgrade (the server's denial extension)."""
    scope = {
        "type": "websocket",
        "path": f"/ocpp/{station_id}",
        "raw_path": f"/ocpp/{station_id}".encode(),
        "query_string": b"",
        "headers": [basic_auth(station_id, STATION_PASSWORD)],
        "subprotocols": ["ocpp1.6"],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "extensions": {"websocket.http.response": {}},
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "websocket.connect"})
    start = await communicator.receive_output(timeout=10)
    await communicator.wait(timeout=5)
    return start


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_while_the_database_is_away_answers_503_with_retry_after(monkeypatch):
    def database_away(**kwargs):
        raise OperationalError("connection failed: Connection refused")

    monkeypatch.setattr(handshake, "admit", database_away)
    start = await denied_handshake()
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 503
    assert int(dict(start["headers"])[b"retry-after"]) > 0


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_while_redis_is_away_answers_503(monkeypatch):
    await database_sync_to_async(make_station)("CP-1")
    layer = get_channel_layer()

    async def redis_away(*args):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(layer, "group_add", redis_away)
    start = await denied_handshake()
    assert start["status"] == 503
    station = await ChargingStation.objects.aget(station_id="CP-1")
    assert not station.connected  # refused before it was marked connected


# --- commands -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_connected_station_whose_group_was_lost_still_takes_commands_once():
    """A restarted Redis loses the group sets until the socket's process re-adds them:
    the command goes straight to the socket the database names, and runs once."""
    station = await database_sync_to_async(make_station)("CP-1")
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await booted(cp, "1.6")
        station = await ChargingStation.objects.aget(pk=station.pk)
        layer = get_channel_layer()
        await layer.group_discard(station.group_name, station.connection_channel)
        command = await command_send(station, "reset", {"type": "soft"}, timeout=5)
        assert command.status == Command.Status.ACCEPTED, command.error
        assert [name for name, _ in cp.received] == ["Reset"]


@pytest.mark.django_db(transaction=True)
async def test_a_command_while_redis_is_away_is_stored_failed_with_the_reason(monkeypatch):
    station = await database_sync_to_async(make_station)("CP-1")
    await ChargingStation.objects.filter(pk=station.pk).aupdate(
        connected=True, connection_channel="specific.gone!x"
    )
    layer = get_channel_layer()

    async def redis_away(*args):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(layer, "group_send", redis_away)
    command = await command_send(station, "reset", {"type": "soft"}, timeout=5)
    stored = await Command.objects.aget(pk=command.pk)
    assert stored.status == Command.Status.FAILED
    assert "Redis" in stored.error["description"]
