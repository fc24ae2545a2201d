"""Reliability: outage logs, exclusions, uptime by the NEVI and UK methods, the uptime
API, and the histories they are read from (connectivity, ChargeNet's own runs).

Histories are written as rows with hand-picked times, so each figure can be worked out
by hand; `history` builds them.
"""

from datetime import datetime

import pytest

from billing.models import ConnectorStatusPeriod
from reliability.models import CentralSystemRun, ConnectivityPeriod
from stations.models import ChargingStation


def at(text: str) -> datetime:
    """ "2026-03-10 06:00" as an aware UTC time."""
    return datetime.fromisoformat(text + "+00:00")


class History:
    """Writes one station's histories."""

    def __init__(self, station: ChargingStation, created: str = "2026-01-01 00:00"):
        self.station = station
        ChargingStation.objects.filter(pk=station.pk).update(created_at=at(created))
        station.refresh_from_db()

    def status(self, connector: int, status: str, start: str, end: str | None, error=""):
        ConnectorStatusPeriod.objects.create(
            station=self.station,
            connector_id=connector,
            status=status,
            error_code=error,
            started_at=at(start),
            ended_at=at(end) if end else None,
        )

    def connected(self, start: str, end: str | None = None):
        ConnectivityPeriod.objects.create(
            station=self.station, started_at=at(start), ended_at=at(end) if end else None
        )

    def central(self, start: str, alive: str):
        CentralSystemRun.objects.create(started_at=at(start), alive_at=at(alive))


@pytest.fixture
def history(station):
    """CP-1 (two connectors), created 2026-01-01, with no history yet."""
    return History(station)
