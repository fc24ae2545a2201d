"""REST API v1: commands, reservations and charging profiles, with a station answering."""

import asyncio
import contextlib
from datetime import timedelta
from urllib.parse import quote

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.utils import timezone
from ocpp.routing import on
from ocpp.v16 import call_result as result16
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stations.models import ChargingProfile, ChargingStation, Command, Reservation
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import connected_station

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/stations/CP-1/commands/"


@contextlib.asynccontextmanager
async def connect(version="ocpp1.6", client=Station16):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=version, station_class=client
    ) as (cp, communicator):
        await booted(cp, "1.6" if version == "ocpp1.6" else "2.0.1")
        yield cp, communicator


def post(client: APIClient, url: str, body: dict):
    """The sync API view sends commands: call it off the station's event loop."""
    return sync_to_async(client.post, thread_sensitive=False)(url, body, format="json")


# --- POST /stations/<id>/commands/ --------------------------------------------------------


@pytest.mark.protocol
@pytest.mark.parametrize(
    ("version", "client", "message"),
    [("ocpp1.6", Station16, "Reset"), ("ocpp2.0.1", Station201, "Reset")],
    ids=["1.6", "2.0.1"],
)
async def test_a_command_waits_for_the_station_and_answers_the_stored_outcome(
    station, api_client, operator, version, client, message
):
    async with connect(version, client) as (cp, _):
        response = await post(api_client, URL, {"action": "reset", "params": {"type": "hard"}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["station_id"] == "CP-1" and body["action"] == "reset"
    assert body["params"] == {"type": "hard"}
    assert body["status"] == "accepted" and body["response"] == {"status": "Accepted"}
    assert body["error"] is None and body["finished_at"] and body["created_at"]
    assert body["session"] is None and body["remote_start_state"] is None
    assert cp.received == [
        (message, {"type": "Hard"} if version == "ocpp1.6" else {"type": "Immediate"})
    ]
    command = await Command.objects.aget(pk=body["id"])
    assert command.status == "accepted" and command.requested_by_id == operator.pk


@pytest.mark.protocol
async def test_a_rejected_command_is_a_201_with_status_rejected(station, api_client):
    async with connect() as (cp, _):
        cp.answer["UnlockConnector"] = "UnlockFailed"
        response = await post(
            api_client, URL, {"action": "unlock_connector", "params": {"connector_id": 1}}
        )
    assert response.status_code == 201
    assert response.json()["status"] == "rejected"
    assert response.json()["response"] == {"status": "UnlockFailed"}


@pytest.mark.protocol
async def test_a_remote_start_is_waiting_for_its_session(station, api_client, token):
    async with connect():
        response = await post(
            api_client,
            URL,
            {"action": "remote_start", "params": {"id_tag": "TAG-0001", "connector_id": 1}},
        )
    body = response.json()
    assert body["status"] == "accepted" and body["session"] is None
    assert body["remote_start_state"] == "waiting"


def test_an_offline_station_answers_offline_at_once(station, api_client):
    response = api_client.post(URL, {"action": "clear_cache"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "offline" and "not connected" in body["error"]["description"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "explode"}, "action"),
        ({"action": "reset", "params": {"type": "sideways"}}, "type"),
        ({"action": "remote_start", "params": {}}, "id_tag"),
        ({"action": "unlock_connector", "params": {"connector_id": 9}}, "connector_id"),
        ({"action": "set_configuration", "params": {"key": "HeartbeatInterval"}}, "value"),
        ({"action": "reset", "params": "hard"}, "params"),
        ({"action": "reset", "timeout": 0}, "timeout"),
    ],
)
def test_bad_params_answer_400_naming_the_field_and_send_nothing(station, api_client, body, field):
    ChargingStation.objects.filter(pk=station.pk).update(ocpp_version="1.6", connected=True)
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["detail"] and field in error["errors"], error
    assert isinstance(error["errors"][field], list)
    assert not Command.objects.exists()


def test_an_unknown_station_is_a_404(db, api_client):
    response = api_client.post("/api/v1/stations/NOPE/commands/", {"action": "reset"})
    assert response.status_code == 404


def test_station_ids_with_spaces_and_plus_work(db, api_client):
    make_station("A+B C")
    response = api_client.post(
        f"/api/v1/stations/{quote('A+B C')}/commands/", {"action": "clear_cache"}, format="json"
    )
    assert response.status_code == 201 and response.json()["station_id"] == "A+B C"


def test_commands_need_an_operator(station, db):
    anonymous = APIClient().post(URL, {"action": "reset"}, format="json")
    assert anonymous.status_code == 401
    driver = get_user_model().objects.create_user("driver", password="x-driver-pass")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=driver).key}")
    assert client.post(URL, {"action": "reset"}, format="json").status_code == 403
    assert client.get("/api/v1/commands/").status_code == 403
    assert not Command.objects.exists()


# --- GET /commands/ -------------------------------------------------------------------------


@pytest.fixture
def history(station):
    other = make_station("CP-2")
    now = timezone.now()
    rows = [
        (station, "reset", "accepted", 4),
        (station, "unlock_connector", "rejected", 3),
        (other, "reset", "offline", 2),
        (station, "reset", "timeout", 1),
    ]
    return [
        Command.objects.create(
            station=s, action=a, status=st, created_at=now - timedelta(minutes=m)
        )
        for s, a, st, m in rows
    ]


def test_commands_list_newest_first_and_filter(history, api_client):
    listed = api_client.get("/api/v1/commands/").json()
    assert listed["count"] == 4
    assert [c["id"] for c in listed["results"]] == [c.pk for c in reversed(history)]

    def ids(query):
        return {c["id"] for c in api_client.get(f"/api/v1/commands/?{query}").json()["results"]}

    assert ids("station=CP-2") == {history[2].pk}
    assert ids("action=reset&station=CP-1") == {history[0].pk, history[3].pk}
    assert ids("status=rejected") == {history[1].pk}
    assert api_client.get("/api/v1/commands/?status=nonsense").status_code == 400
    page = api_client.get("/api/v1/commands/?limit=2").json()
    assert len(page["results"]) == 2 and page["next"]


def test_one_command_is_read_by_id(history, api_client):
    body = api_client.get(f"/api/v1/commands/{history[1].pk}/").json()
    assert body["action"] == "unlock_connector" and body["status"] == "rejected"
    assert api_client.get("/api/v1/commands/999999/").status_code == 404


def test_command_list_queries_do_not_grow_with_rows(
    history, api_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        api_client.get("/api/v1/commands/")


# --- reservations -------------------------------------------------------------------------


@pytest.mark.protocol
async def test_reserve_list_and_cancel_through_the_api(station, api_client, token):
    expires = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    async with connect() as (cp, _):
        created = await post(
            api_client,
            "/api/v1/reservations/",
            {
                "station": "CP-1",
                "connector_id": 1,
                "id_token": "TAG-0001",
                "expires_at": expires.isoformat(),
            },
        )
        assert created.status_code == 201, created.content
        body = created.json()
        cancelled = await post(api_client, f"/api/v1/reservations/{body['id']}/cancel/", {})
    assert body["status"] == "accepted" and body["reservation_id"] == body["id"]
    assert body["connector_id"] == 1 and body["id_token"] == "TAG-0001"
    assert body["command"]["status"] == "accepted"
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_command"]["action"] == "cancel_reservation"
    assert [name for name, _ in cp.received] == ["ReserveNow", "CancelReservation"]
    listed = await sync_to_async(api_client.get)("/api/v1/reservations/?station=CP-1")
    assert [r["id"] for r in listed.json()["results"]] == [body["id"]]


@pytest.mark.protocol
async def test_reserve_a_connector_type_through_the_api(station, api_client, token):
    expires = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    body = {"station": "CP-1", "id_token": "TAG-0001", "expires_at": expires.isoformat()}
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        created = await post(
            api_client, "/api/v1/reservations/", {**body, "connector_type": "cType2"}
        )
    assert created.status_code == 201, created.content
    assert created.json()["connector_type"] == "cType2" and created.json()["connector_id"] is None
    (action, sent), *_ = cp.received
    assert action == "ReserveNow" and sent["connector_type"] == "cType2"


def test_a_connector_type_for_a_16_station_answers_400_naming_the_version(
    station, api_client, token
):
    ChargingStation.objects.filter(pk=station.pk).update(ocpp_version="1.6")
    expires = (timezone.now() + timedelta(hours=1)).isoformat()
    body = {"station": "CP-1", "id_token": "TAG-0001", "expires_at": expires}
    reservation = api_client.post(
        "/api/v1/reservations/", {**body, "connector_type": "cType2"}, format="json"
    )
    command = api_client.post(
        URL,
        {
            "action": "reserve_now",
            "params": {
                "id_tag": "TAG-0001",
                "reservation_id": 5,
                "expires_at": expires,
                "connector_type": "cType2",
            },
        },
        format="json",
    )
    for response in (reservation, command):
        assert response.status_code == 400, response.content
        assert "1.6" in response.json()["detail"]
        assert "connector_type" in response.json()["errors"]
    assert not Reservation.objects.exists() and not Command.objects.exists()


def test_bad_reservations_answer_400(station, api_client, token):
    past = (timezone.now() - timedelta(minutes=5)).isoformat()
    response = api_client.post(
        "/api/v1/reservations/",
        {"station": "CP-1", "connector_id": 1, "id_token": "TAG-0001", "expires_at": past},
        format="json",
    )
    assert response.status_code == 400 and "expires_at" in response.json()["errors"]
    unknown = api_client.post(
        "/api/v1/reservations/",
        {"station": "CP-1", "id_token": "NOPE", "expires_at": past},
        format="json",
    )
    assert unknown.status_code == 400 and "id_token" in unknown.json()["errors"]
    assert not Reservation.objects.exists() and not Command.objects.exists()


def test_cancelling_a_finished_reservation_is_a_400(station, api_client):
    reservation = Reservation.objects.create(
        station=station, id_tag="T", expires_at=timezone.now(), status="expired"
    )
    response = api_client.post(f"/api/v1/reservations/{reservation.pk}/cancel/", {})
    assert response.status_code == 400 and "status" in response.json()["errors"]


# --- charging profiles --------------------------------------------------------------------

PROFILE = {
    "station": "CP-1",
    "connector_id": 1,
    "purpose": "tx_default",
    "stack_level": 1,
    "schedule": {"unit": "A", "periods": [{"start_period": 0, "limit": 16}]},
}


@pytest.mark.protocol
async def test_set_list_and_clear_a_profile_through_the_api(station, api_client):
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        created = await post(api_client, "/api/v1/charging-profiles/", PROFILE)
        assert created.status_code == 201, created.content
        body = created.json()
        cleared = await post(api_client, f"/api/v1/charging-profiles/{body['id']}/clear/", {})
    assert body["status"] == "accepted" and body["profile_id"] == 1
    assert body["schedule"]["unit"] == "A" and body["schedule"]["periods"] == [
        {"start_period": 0, "limit": 16}
    ]
    assert body["command"]["ocpp_action"] == "SetChargingProfile"
    assert cleared.json()["status"] == "cleared"
    assert [name for name, _ in cp.received] == ["SetChargingProfile", "ClearChargingProfile"]
    listed = await sync_to_async(api_client.get)("/api/v1/charging-profiles/?station=CP-1")
    assert listed.json()["count"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"schedule": {"unit": "A", "periods": [{"start_period": 0, "limit": "x"}]}},
            "schedule.periods.0.limit",
        ),
        (
            {"schedule": {"unit": "A", "periods": [{"start_period": 0, "limit": -4}]}},
            "schedule.periods.0.limit",
        ),
        (
            {"schedule": {"unit": "kW", "periods": [{"start_period": 0, "limit": 4}]}},
            "schedule.unit",
        ),
        ({"purpose": "max"}, "connector_id"),
        ({"station": "NOPE"}, "station"),
    ],
)
def test_bad_profiles_answer_400_naming_the_field(station, api_client, change, field):
    response = api_client.post("/api/v1/charging-profiles/", {**PROFILE, **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not ChargingProfile.objects.exists() and not Command.objects.exists()


def test_the_schema_lists_the_command_resources(db, api_client):
    paths = api_client.get("/api/v1/schema/?format=json").json()["paths"]
    assert set(paths["/api/v1/stations/{station_id}/commands/"]) == {"post"}
    assert set(paths["/api/v1/commands/"]) == {"get"}
    assert set(paths["/api/v1/commands/{id}/"]) == {"get"}
    assert set(paths["/api/v1/reservations/"]) == {"get", "post"}
    assert set(paths["/api/v1/reservations/{id}/cancel/"]) == {"post"}
    assert set(paths["/api/v1/charging-profiles/"]) == {"get", "post"}
    assert set(paths["/api/v1/charging-profiles/{id}/clear/"]) == {"post"}


class SlowReset(Station16):
    """Takes a second over a Reset, as a station finishing its work first."""

    @on("Reset")
    async def reset(self, **kw):
        await asyncio.sleep(1.0)
        return result16.Reset(status=self.got("Reset", kw))


@pytest.mark.protocol
@pytest.mark.parametrize(
    ("query", "headers"),
    [("?wait=false", {}), ("", {"HTTP_PREFER": "respond-async"})],
    ids=["wait=false", "Prefer"],
)
async def test_a_client_that_does_not_wait_gets_202_and_reads_the_outcome_later(
    station, api_client, query, headers
):
    async with connect(client=SlowReset) as (cp, _):
        response = await sync_to_async(api_client.post, thread_sensitive=False)(
            URL + query, {"action": "reset", "params": {"type": "hard"}}, format="json", **headers
        )
        assert response.status_code == 202, response.content
        assert response["Preference-Applied"] == "respond-async"
        body = response.json()
        assert body["status"] == "pending" and body["finished_at"] is None
        assert response["Location"].endswith(f"/api/v1/commands/{body['id']}/")
        command = await Command.objects.aget(pk=body["id"])
        for _ in range(50):
            if command.status != "pending":
                break
            await asyncio.sleep(0.1)
            await command.arefresh_from_db()
    assert command.status == "accepted" and command.response == {"status": "Accepted"}
    later = await sync_to_async(api_client.get, thread_sensitive=False)(
        f"/api/v1/commands/{body['id']}/"
    )
    assert later.json()["status"] == "accepted"


@pytest.mark.protocol
async def test_a_client_that_does_not_wait_still_learns_at_once_that_a_station_is_offline(
    station, api_client
):
    response = await post(api_client, URL + "?wait=false", {"action": "reset", "params": {}})
    assert response.status_code == 201
    assert response.json()["status"] == "offline"
