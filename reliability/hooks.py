"""Reliability listens to the station core's events (stations never import it):
connectivity for the outage log, and what raises and clears alarms."""

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from reliability.alarms import rules, safety
from reliability.alarms.service import RAISED, alarm_cleared, clear_statement
from reliability.models import Alarm
from reliability.services import connectivity_record, connectivity_statement
from runtime import sql
from stations import events
from stations.models import ChargingStation, Connector


def _connected(kind: str, station_pk: int | None, data: dict) -> None:
    """Connectivity for the outage log, in the transaction that marks the station
    connected or not; a station back online clears its offline alarm."""
    if station_pk is None or "connected" not in data:
        return
    if not data["connected"]:
        connectivity_record(station_pk=station_pk, connected=False)
        return
    part = _connected_joined(kind, station_pk, data)
    part.then(sql.together(part.statements))


def _connected_joined(kind: str, station_pk: int | None, data: dict) -> events.Joined | None:
    """A connect's connectivity period and offline-alarm clearing as statements sent
    with the station's own write (every handshake of a reconnect storm runs them)."""
    if station_pk is None or not data.get("connected"):
        return None
    now = timezone.now()
    return events.Joined(
        [
            connectivity_statement(station_pk, True, now),
            clear_statement(Alarm.Kind.OFFLINE, station_pk, 0, now),
        ],
        lambda done: alarm_cleared(Alarm.Kind.OFFLINE, station_pk, 0, now, done[1].rowcount),
    )


def _station_saved(sender, instance, **kwargs) -> None:
    rules.ratings_changed(instance.pk)


def _connector_saved(sender, instance, **kwargs) -> None:
    rules.ratings_changed(instance.station_id)


def _connector_deleted(sender, instance, origin=None, **kwargs) -> None:
    rules.ratings_changed(instance.station_id)
    # Only when the connector itself was deleted: a station's deletion takes its alarms.
    deleted = origin.model if isinstance(origin, QuerySet) else type(origin)
    if deleted is Connector:
        rules.connector_deleted(instance.station_id, instance.connector_id)


def subscribe() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_station_saved, sender=ChargingStation)
    post_save.connect(_connector_saved, sender=Connector)
    post_delete.connect(_connector_deleted, sender=Connector)
    events.subscribe("station.connected", _connected, in_transaction=True, joined=_connected_joined)
    events.subscribe(events.CONNECTOR_STATUS_RECORDED, rules.on_status)
    events.subscribe("session.ended", rules.on_session_ended)
    events.subscribe("session.updated", rules.on_session_updated)
    events.subscribe(events.TEMPERATURE_RECORDED, rules.on_temperature)
    events.subscribe(events.STATION_EVENT_RECORDED, rules.on_station_event)
    events.subscribe(RAISED, safety.on_alarm_raised)
