"""Reliability listens to the station core's events (stations never import it):
connectivity for the outage log, and what raises and clears alarms."""

from django.db.models.signals import post_delete, post_save

from reliability.alarms import rules, safety
from reliability.alarms.service import RAISED
from reliability.services import connectivity_record
from stations import events
from stations.models import ChargingStation, Connector


def _connected(kind: str, station_pk: int | None, data: dict) -> None:
    if station_pk is not None and "connected" in data:
        connectivity_record(station_pk=station_pk, connected=bool(data["connected"]))


def _station_saved(sender, instance, **kwargs) -> None:
    rules.ratings_changed(instance.pk)


def _connector_saved(sender, instance, **kwargs) -> None:
    rules.ratings_changed(instance.station_id)


def subscribe() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_station_saved, sender=ChargingStation)
        signal.connect(_connector_saved, sender=Connector)
    events.subscribe("station.connected", _connected)
    events.subscribe("station.connected", rules.on_connected)
    events.subscribe(events.CONNECTOR_STATUS_RECORDED, rules.on_status)
    events.subscribe("session.ended", rules.on_session_ended)
    events.subscribe("session.updated", rules.on_session_updated)
    events.subscribe(events.TEMPERATURE_RECORDED, rules.on_temperature)
    events.subscribe(events.STATION_EVENT_RECORDED, rules.on_station_event)
    events.subscribe(RAISED, safety.on_alarm_raised)
