"""Presence leases: a process's lease, the sweep of stations whose process died, a
station taken over by another process, a lapsed lease taken back."""

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone

from runtime import presence
from stations import events
from stations.models import ChargingStation, ServerLease
from stations.services import connections
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    seen = []
    monkeypatch.setattr(
        events, "publish", lambda kind, pk, data, **kw: seen.append((kind, pk, data))
    )
    return seen


@pytest.fixture(autouse=True)
def nothing_held(monkeypatch):
    monkeypatch.setattr(connections, "_held", {})
    monkeypatch.setattr(connections, "_restore_rounds", 0)


def expire(name: str) -> None:
    ServerLease.objects.filter(name=name).update(expires_at=timezone.now() - timedelta(seconds=1))


def other_process(name: str, *, alive: bool) -> None:
    now = timezone.now()
    ServerLease.objects.create(
        name=name,
        started_at=now,
        renewed_at=now,
        expires_at=now + timedelta(seconds=30 if alive else -1),
    )


def test_the_first_renewal_takes_the_lease_and_later_ones_extend_it():
    assert connections.lease_renew(ttl=30) is True
    lease = ServerLease.objects.get(name=connections.PROCESS_NAME)
    assert connections.lease_renew(ttl=60) is False
    lease.refresh_from_db()
    assert lease.expires_at > timezone.now() + timedelta(seconds=50)


def test_a_station_held_here_names_this_process_and_a_live_lease_keeps_it(published):
    station = make_station("CP-1")
    connections.lease_renew(ttl=30)
    connections.station_connect(station_pk=station.pk, channel_name="c1", ocpp_version="1.6")
    station.refresh_from_db()
    assert station.connected and station.connection_process == connections.PROCESS_NAME
    assert connections.stations_held() == 1
    assert connections.stations_sweep() == []
    station.refresh_from_db()
    assert station.connected


def test_stations_of_a_process_whose_lease_expired_go_offline_and_the_lease_is_forgotten(
    published,
):
    dead = make_station("CP-1", connected=True, connection_channel="x", connection_process="h:1:a")
    alive = make_station("CP-2", connected=True, connection_channel="y", connection_process="h:2:b")
    other_process("h:1:a", alive=False)
    other_process("h:2:b", alive=True)
    assert connections.stations_sweep() == [dead.pk]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert not dead.connected and dead.connection_channel == "" and dead.connection_process == ""
    assert alive.connected
    assert ("station.connected", dead.pk, {"connected": False}) in published
    assert list(ServerLease.objects.values_list("name", flat=True)) == ["h:2:b"]
    assert connections.stations_sweep() == []  # nothing twice


def test_a_process_that_is_gone_altogether_counts_as_dead(published):
    gone = make_station("CP-1", connected=True, connection_channel="x", connection_process="h:9:z")
    assert connections.stations_sweep() == [gone.pk]


def test_stations_marked_connected_without_a_process_are_let_go_only_at_start_up(published):
    legacy = make_station("CP-1", connected=True, connection_channel="x")
    assert connections.stations_sweep() == []
    assert connections.stations_sweep(unleased=True) == [legacy.pk]


def test_a_station_that_reconnected_to_a_live_process_is_not_swept(published):
    station = make_station(
        "CP-1", connected=True, connection_channel="x", connection_process="h:1:a"
    )
    other_process("h:1:a", alive=False)
    other_process("h:2:b", alive=True)
    # The station came back on process h:2:b before the sweep.
    ChargingStation.objects.filter(pk=station.pk).update(
        connection_channel="y", connection_process="h:2:b"
    )
    assert connections.stations_sweep() == []
    station.refresh_from_db()
    assert station.connected and station.connection_channel == "y"


def test_a_lapsed_lease_takes_back_the_stations_this_process_still_holds(published):
    station = make_station("CP-1")
    taken = make_station("CP-2")
    connections.lease_renew(ttl=30)
    for held, channel in ((station, "c1"), (taken, "c2")):
        connections.station_connect(station_pk=held.pk, channel_name=channel, ocpp_version="1.6")
    # The database was away: the lease expired and another process swept.
    expire(connections.PROCESS_NAME)
    ServerLease.objects.all().delete()
    ChargingStation.objects.update(connected=False, connection_channel="", connection_process="")
    # Meanwhile CP-2 connected to another process.
    ChargingStation.objects.filter(pk=taken.pk).update(
        connected=True, connection_channel="elsewhere", connection_process="h:2:b"
    )
    assert connections.lease_renew(ttl=30) is True
    station.refresh_from_db()
    taken.refresh_from_db()
    assert station.connected and station.connection_channel == "c1"
    assert station.connection_process == connections.PROCESS_NAME
    assert taken.connection_channel == "elsewhere"
    assert ("station.connected", station.pk, {"connected": True}) in published


def test_taking_back_writes_only_the_swept_stations(
    published, monkeypatch, django_assert_num_queries
):
    """The renewal after a process's first lease restores with every socket of a burst
    held: it reads them a chunk a statement and writes only what a sweep marked offline."""
    stations = [make_station(f"CP-{n}") for n in range(5)]
    for n, station in enumerate(stations):
        connections.station_connect(station_pk=station.pk, channel_name=f"c{n}", ocpp_version="1.6")
    ChargingStation.objects.filter(pk=stations[3].pk).update(connected=False, connection_channel="")
    monkeypatch.setattr(connections, "RESTORE_CHUNK", 2)
    with django_assert_num_queries(3 + 1):  # three chunks, one station swept
        connections._held_restore()
    restored = ChargingStation.objects.get(pk=stations[3].pk)
    assert restored.connected and restored.connection_channel == "c3"
    assert [p for p in published if p[2] == {"connected": True}] == [
        ("station.connected", stations[3].pk, {"connected": True})
    ]


def test_a_station_this_process_let_go_is_not_taken_back(published):
    station = make_station("CP-1")
    connections.lease_renew(ttl=30)
    connections.station_connect(station_pk=station.pk, channel_name="c1", ocpp_version="1.6")
    connections.station_disconnect(station_pk=station.pk, channel_name="c1")
    assert connections.stations_held() == 0
    expire(connections.PROCESS_NAME)
    connections.lease_renew(ttl=30)
    station.refresh_from_db()
    assert not station.connected


def test_presence_renews_every_third_of_the_ping_interval_for_one_interval(settings):
    settings.OCPP_PING_INTERVAL = 30
    assert presence.presence_timing() == (10.0, 30.0)


def test_after_a_failed_round_a_process_does_not_sweep_for_one_lease_time(monkeypatch):
    calls = []

    def round_(ttl, sweep):
        calls.append(sweep)
        if len(calls) == 1:
            raise ConnectionError("database away")
        return []

    monkeypatch.setattr(presence, "presence_round", round_)
    runner = presence.Presence(period=0.01, ttl=60)

    async def rounds():
        for _ in range(3):
            await runner.round()

    asyncio.run(rounds())
    assert calls == [True, False, False]
    runner.failed_at -= 61
    asyncio.run(runner.round())
    assert calls[-1] is True


def test_start_up_takes_the_lease_and_lets_go_of_stations_no_live_process_holds(published):
    legacy = make_station("CP-1", connected=True, connection_channel="x")
    gone = make_station("CP-2", connected=True, connection_channel="y", connection_process="h:9:z")
    assert sorted(presence.presence_begin()) == sorted([legacy.pk, gone.pk])
    assert ServerLease.objects.filter(name=connections.PROCESS_NAME).exists()


def test_a_database_away_at_start_up_does_not_stop_the_server(monkeypatch):
    def away(**kwargs):
        raise ConnectionError("database away")

    monkeypatch.setattr(connections, "lease_renew", away)
    assert presence.presence_begin() == []
