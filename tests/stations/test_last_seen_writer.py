"""Last-seen writes by group commit: many stations' Heartbeats in one UPDATE."""

import asyncio

import pytest

from stations.models import ChargingStation
from stations.services import connections
from stations.writers import last_seen
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db(transaction=True)


def _stations(count: int) -> list[int]:
    return [make_station(f"LS-{n:03d}").pk for n in range(count)]


async def test_stations_touched_at_one_moment_share_an_update(monkeypatch):
    pks = await asyncio.to_thread(_stations, 20)
    writes = []
    original = connections.stations_touch

    def counting(*, station_pks):
        writes.append(len(station_pks))
        original(station_pks=station_pks)

    monkeypatch.setattr(connections, "stations_touch", counting)
    await asyncio.gather(*(last_seen.station_touch(pk) for pk in pks))
    assert writes and sum(writes) <= 20 and len(writes) < 20, writes
    seen = await asyncio.to_thread(
        lambda: list(ChargingStation.objects.filter(pk__in=pks).values_list("last_seen", flat=True))
    )
    assert len(seen) == 20 and all(seen)


async def test_a_failed_write_fails_every_waiting_frame_and_the_next_one_succeeds(monkeypatch):
    pks = await asyncio.to_thread(_stations, 3)

    def broken(**kwargs):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(connections, "stations_touch", broken)
    monkeypatch.setattr(connections, "station_touch", broken)
    results = await asyncio.gather(
        *(last_seen.station_touch(pk) for pk in pks), return_exceptions=True
    )
    assert all(isinstance(result, RuntimeError) for result in results)
    monkeypatch.undo()
    await last_seen.station_touch(pks[0])
    station = await ChargingStation.objects.aget(pk=pks[0])
    assert station.last_seen is not None
