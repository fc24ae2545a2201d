"""Reservations and profiles whose id ChargeNet assigns, on every path and without waiting.

A reserve_now without reservation_id makes a tracked reservation (its pk is the id)
whether it comes from the REST API, the station page's Reserve form or the admin; with
?wait=false the API answers 202 at once for it (and for a set_charging_profile whose
profile has no id) and the reservation or profile takes the outcome once stored.
"""

import asyncio
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from django.utils import timezone
from ocpp.routing import on
from ocpp.v201 import call_result as r201

from stations.commands import tracked
from stations.metering import format_timestamp
from stations.models import ChargingProfile, Command, Reservation
from tests.support.charge_points import Station201, booted
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/stations/CP-1/commands/"
SLOW = 3.0  # seconds the station takes over its answer


class SlowStation(Station201):
    """Answers ReserveNow and SetChargingProfile only after SLOW seconds."""

    @on("ReserveNow")
    async def reserve_now(self, **kw):
        await asyncio.sleep(SLOW)
        return r201.ReserveNow(status=self.got("ReserveNow", kw))

    @on("SetChargingProfile")
    async def set_profile(self, **kw):
        await asyncio.sleep(SLOW)
        return r201.SetChargingProfile(status=self.got("SetChargingProfile", kw))


def expires() -> str:
    return format_timestamp(timezone.now() + timedelta(hours=1))


async def _until(check, seconds: float = 6.0):
    for _ in range(int(seconds / 0.1)):
        if await check():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.protocol
@pytest.mark.parametrize(
    ("action", "params", "model"),
    [
        ("reserve_now", {"connector_id": 1, "id_token": "TAG-0001"}, Reservation),
        (
            "set_charging_profile",
            {"connector_id": 1, "charging_profile": {"purpose": "tx_default", "limit": 16}},
            ChargingProfile,
        ),
    ],
    ids=["reserve_now", "set_charging_profile"],
)
async def test_wait_false_answers_202_at_once_for_assigned_ids(
    station, token, api_client, action, params, model
):
    if action == "reserve_now":
        params = {**params, "expires_at": expires()}
    async with connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=SlowStation
    ) as (cp, _):
        await booted(cp, "2.0.1")
        warm_up = {"action": "clear_cache", "params": {}}  # the first request loads a lot
        await sync_to_async(api_client.post, thread_sensitive=False)(URL, warm_up, format="json")
        began = time.monotonic()
        response = await sync_to_async(api_client.post, thread_sensitive=False)(
            URL + "?wait=false", {"action": action, "params": params}, format="json"
        )
        took = time.monotonic() - began
        assert response.status_code == 202, response.content
        assert took < SLOW, took
        body = response.json()
        assert body["status"] == "pending"
        row = await model.objects.aget(command_id=body["id"])
        assert row.status == "requested"

        async def settled():
            await row.arefresh_from_db()
            return row.status == "accepted"

        assert await _until(settled), row.status
    command = await Command.objects.aget(pk=body["id"])
    assert command.status == "accepted"


def test_the_station_page_reserve_form_makes_a_tracked_reservation(
    operator, client, station, token
):
    client.force_login(operator)
    url = reverse("dashboard:station-command", args=[station.station_id, "reserve_now"])
    form = {
        "reserve_now-connector_id": "2",
        "reserve_now-id_token": "TAG-0001",
        "reserve_now-expires_at": (timezone.localtime() + timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
    }
    response = client.post(url, form, HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "offline"  # nobody holds the station's socket
    reservation = Reservation.objects.select_related("connector").get()
    assert reservation.connector.connector_id == 2 and reservation.id_tag == "TAG-0001"
    assert reservation.command.params["reservation_id"] == reservation.pk
    assert response.json()["command"] == reservation.command_id


def test_the_station_page_shows_the_reserve_form(operator, client, station):
    client.force_login(operator)
    page = client.get(reverse("dashboard:station", args=[station.station_id])).content.decode()
    assert 'data-action="reserve_now"' in page and "reserve_now-id_token" in page


def test_the_admin_reserves_with_an_assigned_id(ops, station, token):
    moment = timezone.localtime() + timedelta(hours=2)
    form = {
        "station": station.pk,
        "connector_id": "1",
        "id_token": "TAG-0001",
        "expires_at_0": moment.strftime("%Y-%m-%d"),
        "expires_at_1": moment.strftime("%H:%M:%S"),
    }
    response = ops.post(reverse("admin:stations_reservation_add"), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    reservation = Reservation.objects.get()
    assert reservation.command.action == "reserve_now"
    assert reservation.command.params["reservation_id"] == reservation.pk


def test_the_admin_shows_a_refused_reservation_on_the_form(ops, station):
    moment = timezone.localtime() + timedelta(hours=2)
    form = {
        "station": station.pk,
        "id_token": "NOBODY",
        "expires_at_0": moment.strftime("%Y-%m-%d"),
        "expires_at_1": moment.strftime("%H:%M:%S"),
    }
    response = ops.post(reverse("admin:stations_reservation_add"), form)
    assert response.status_code == 200
    assert not Reservation.objects.exists() and not Command.objects.exists()


def test_admin_actions_send_assigned_ids_through_their_service(station, token):
    params = {"connector_id": 1, "id_token": "TAG-0001", "expires_at": expires()}
    results = tracked.send_commands(
        [(station, "reserve_now", params), (station, "reset", {"type": "soft"})]
    )
    reservation = Reservation.objects.get()
    assert results[0].pk == reservation.command_id
    assert results[1].action == "reset" and results[1].status == "offline"
