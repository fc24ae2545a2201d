"""Reliability listens to the station core's events (stations never import it)."""

from reliability.services import connectivity_record
from stations import events


def _connected(kind: str, station_pk: int | None, data: dict) -> None:
    if station_pk is not None and "connected" in data:
        connectivity_record(station_pk=station_pk, connected=bool(data["connected"]))


def subscribe() -> None:
    events.subscribe("station.connected", _connected)
