"""Stuck sessions: a station that reboots or reports Available without stopping a session.

Driven over real OCPP frames, the same story for every version; the reconcile job is
called the way Celery beat calls it, with a clock moved past the grace.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v201 import ChargePoint as ChargePoint201

from billing.models import Tariff
from chargenet.celery import app
from stations import events
from stations.metering import ENERGY_REGISTER, Sample
from stations.models import ChargingSession
from stations.services import meter_values, reconcile, registration, sessions
from stations.tasks import reconcile_stuck_sessions
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import Station16, connected_station
from tests.support.stories import STORIES

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

CLIENTS = {"ocpp1.6": Station16, "ocpp2.0.1": ChargePoint201, "ocpp2.1": ChargePoint21}
GRACE = 120
T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture
def priced(settings, eager_tasks, station, token):
    """Every session priced at 0.30 EUR per kWh, in process even with REDIS_URL set."""
    settings.OCPP_RECONCILE_GRACE = GRACE
    Tariff.objects.create(
        name="default", currency="EUR", is_default=True, energy_price_per_kwh=D("0.30")
    )
    return station


def connection(story):
    client = CLIENTS[story.subprotocol]
    return connected_station(
        "CP-1", STATION_PASSWORD, version=story.subprotocol, station_class=client
    )


async def reconcile_at(seconds_from_now: float) -> list[int]:
    now = timezone.now() + timedelta(seconds=seconds_from_now)
    return await database_sync_to_async(reconcile.sessions_reconcile_due)(now=now)


async def replay_stop(tale) -> None:
    if tale.subprotocol == "ocpp1.6":
        await tale.stop(1, 2500, 15)
    else:
        await tale.cp.call(tale.sent[-1])


async def session_on(connector: int) -> ChargingSession:
    """The session on the connector, with its price (billing's charge) if it has one."""
    return await ChargingSession.objects.select_related("charge").aget(
        connector__connector_id=connector
    )


async def charging(tale, connector=1, start_wh=1000):
    """Start a session and send two readings: 1500 Wh at 10:05, 1800 Wh at 10:08."""
    await tale.start(connector, "TAG-0001", start_wh, 0)
    await tale.status(connector, "Charging")
    await tale.meter(connector, start_wh + 500, 7200, 5)
    await tale.meter(connector, start_wh + 800, 7000, 8)


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_a_session_lost_in_a_reboot_closes_after_the_grace_at_its_last_reading(priced, story):
    async with connection(story) as (cp, _):
        tale = story(cp)
        await tale.boot()
        await charging(tale)
    async with connection(story) as (cp, _):  # the station comes back with no session
        tale.cp = cp
        await tale.boot()
        marked = await session_on(1)
        assert marked.state == "active" and marked.reconcile_reason == reconcile.REASON_REBOOT
        assert await reconcile_at(GRACE - 5) == []  # still inside the grace
        assert (await session_on(1)).state == "active"

        layer = get_channel_layer()
        listener = await layer.new_channel()
        await layer.group_add(events.NETWORK_GROUP, listener)
        assert await reconcile_at(GRACE + 1) == [marked.pk]

    closed = await session_on(1)
    assert closed.state == "ended"
    assert (closed.meter_start_wh, closed.meter_stop_wh, closed.energy_wh) == (1000, 1800, 800)
    assert closed.stop_reason == "Reconciled: station rebooted"
    assert "reconciled" in closed.flags and closed.reconcile_after is None
    # The station went down after its last reading, not days later when it came back.
    assert closed.ended_at.isoformat() == "2026-11-20T10:08:00+00:00"
    assert (closed.charge.gross, closed.charge.currency) == (D("0.24"), "EUR")  # 0.8 kWh
    ended = []
    while not ended:
        message = await asyncio.wait_for(layer.receive(listener), 5)
        # One event, or a server's batch of them (stations/events.py)
        ended = [e for e in message.get("events", [message]) if e["kind"] == "session.ended"]
    assert ended[0]["data"]["energy_wh"] == 800


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_a_session_left_open_when_the_connector_turns_available_is_closed(priced, story):
    async with connection(story) as (cp, _):
        tale = story(cp)
        await tale.boot()
        await charging(tale)
        before = timezone.now()
        await tale.status(1, "Available")
        after = timezone.now()
        assert await reconcile_at(GRACE + 1) == [(await session_on(1)).pk]

    closed = await session_on(1)
    assert (closed.state, closed.meter_stop_wh, closed.energy_wh) == ("ended", 1800, 800)
    assert closed.stop_reason == "Reconciled: connector reported Available"
    assert before <= closed.ended_at <= after  # when the car left
    assert closed.charge.gross == D("0.24")


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_available_before_the_stop_within_the_grace_is_a_normal_stop(priced, story):
    async with connection(story) as (cp, _):
        tale = story(cp)
        await tale.boot()
        await charging(tale)
        await tale.status(1, "Available")  # real stations often report this first
        await tale.stop(1, 2500, 15)
        assert await reconcile_at(GRACE + 1) == []

    stopped = await session_on(1)
    assert (stopped.state, stopped.meter_stop_wh, stopped.energy_wh) == ("ended", 2500, 1500)
    assert stopped.stop_reason == "EVDisconnected"
    assert stopped.ended_at.isoformat() == "2026-11-20T10:15:00+00:00"
    assert "reconciled" not in stopped.flags and stopped.reconcile_after is None
    assert stopped.charge.gross == D("0.45")


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_readings_after_a_reboot_keep_the_session_open(priced, story):
    async with connection(story) as (cp, _):
        tale = story(cp)
        await tale.boot()
        await charging(tale)
        await tale.boot()
        await tale.meter(1, 2000, 7000, 10)  # the station carries on with it
        assert (await session_on(1)).reconcile_after is None
        assert await reconcile_at(GRACE + 1) == []

    running = await session_on(1)
    assert (running.state, running.energy_wh) == ("active", 1000)


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_a_late_stop_after_reconciliation_replaces_the_estimate(priced, story):
    async with connection(story) as (cp, _):
        tale = story(cp)
        await tale.boot()
        await charging(tale)
    async with connection(story) as (cp, _):
        tale.cp = cp
        await tale.boot()
        await reconcile_at(GRACE + 1)
        assert (await session_on(1)).charge.gross == D("0.24")
        # The station's queued stop arrives only now: its figures win, priced again.
        await tale.stop(1, 2500, 15)
        stopped = await session_on(1)
        assert (stopped.meter_stop_wh, stopped.energy_wh) == (2500, 1500)
        assert stopped.ended_at.isoformat() == "2026-11-20T10:15:00+00:00"
        assert stopped.stop_reason == "EVDisconnected"
        assert {"reconciled", "stopped_after_reconcile"} <= set(stopped.flags)
        assert stopped.charge.gross == D("0.45")
        await replay_stop(tale)  # the same frame once more: nothing changes
    again = await session_on(1)
    assert (again.meter_stop_wh, again.energy_wh, again.ended_at) == (
        2500,
        1500,
        stopped.ended_at,
    )
    assert again.flags == stopped.flags and again.charge.gross == D("0.45")


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_a_session_on_another_connector_is_untouched(priced, story):
    async with connection(story) as (cp, _):
        first, second = story(cp), story(cp)
        second.tx = "TX-0002"  # 2.0.1: the station's own id; 1.6 assigns its own
        await first.boot()
        await charging(first, connector=1)
        await charging(second, connector=2, start_wh=5000)
        await second.status(2, "Available")
        assert await reconcile_at(GRACE + 1) == [(await session_on(2)).pk]

    assert (await session_on(2)).state == "ended"
    untouched = await session_on(1)
    assert (untouched.state, untouched.energy_wh) == ("active", 800)
    assert untouched.reconcile_after is None


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_available_repeated_on_a_connector_never_occupied_marks_nothing(priced, story):
    # 2.0.1 may start a transaction at authorization, before the cable is plugged in.
    async with connection(story) as (cp, _):
        tale = story(cp)
        await tale.boot()
        await tale.status(1, "Available")
        if story.subprotocol == "ocpp1.6":
            await tale.start(1, "TAG-0001", 1000, 0)
        else:  # Started at authorization, the EV not yet connected
            await cp.call(
                tale._event(
                    "Started",
                    0,
                    {"charging_state": "Idle"},
                    [],
                    1,
                    trigger_reason="Authorized",
                    id_token={"id_token": "TAG-0001", "type": "ISO14443"},
                )
            )
        await tale.status(1, "Available")
        assert await reconcile_at(GRACE + 1) == []
    assert (await session_on(1)).state == "active"


def test_a_marked_session_closes_with_its_latest_sample_when_no_reading_was_applied(priced):
    started = sessions.session_start(
        station_pk=priced.pk, connector_id=1, id_tag="TAG-0001", meter_start_wh=100, timestamp=T0
    ).session
    meter_values.meter_values_record_many(
        messages=[
            meter_values.MeterValuesIn(
                priced.pk, 1, None, [Sample(T0.replace(minute=5), ENERGY_REGISTER, D(900), "Wh")]
            )
        ]
    )
    ChargingSession.objects.filter(pk=started.pk).update(meter_last_wh=None)
    registration.station_boot(station_pk=priced.pk, vendor="V", model="M")

    assert (
        reconcile_stuck_sessions.delay().get(disable_sync_subtasks=False) == []
    )  # within the grace
    now = timezone.now() + timedelta(seconds=GRACE)
    assert reconcile.sessions_reconcile_due(now=now) == [started.pk]
    closed = ChargingSession.objects.get(pk=started.pk)
    assert (closed.meter_stop_wh, closed.energy_wh) == (900, 800)
    assert closed.ended_at == T0.replace(minute=5)


def test_an_unknown_reason_is_refused(priced):
    with pytest.raises(ValueError, match="unknown reconcile reason"):
        reconcile.sessions_mark_suspect(station_pk=priced.pk, reason="Because")


def test_the_reconcile_job_runs_every_minute():
    (entry,) = [
        e for e in app.conf.beat_schedule.values() if e["task"] == reconcile_stuck_sessions.name
    ]
    assert entry["schedule"] == 60.0


def test_a_marked_session_ended_another_way_just_drops_its_mark(priced):
    first = sessions.session_start(
        station_pk=priced.pk, connector_id=1, id_tag="TAG-0001", meter_start_wh=100, timestamp=T0
    ).session
    registration.station_boot(station_pk=priced.pk, vendor="V", model="M")
    sessions.session_start(  # the station starts anew on that connector
        station_pk=priced.pk,
        connector_id=1,
        id_tag="TAG-0001",
        meter_start_wh=200,
        timestamp=T0.replace(minute=30),
    )

    assert reconcile.sessions_reconcile_due(now=timezone.now() + timedelta(seconds=GRACE)) == []
    superseded = ChargingSession.objects.get(pk=first.pk)
    assert (superseded.stop_reason, superseded.reconcile_after) == ("Superseded", None)
    assert "reconciled" not in superseded.flags
