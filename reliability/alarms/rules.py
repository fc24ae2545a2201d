"""What raises and clears each alarm, read from the station core's events.

- station offline: a sweep (every minute) raises it for a station silent longer than
  ALARM_OFFLINE_AFTER seconds; it clears when the station connects (reliability/hooks.py);
- connector faulted: status Faulted (connector 0: the station); cleared by any other;
- sessions failing in a row: the last ALARM_FAILED_SESSIONS_IN_A_ROW sessions of a
  port all failed (reliability.failures); cleared by one that did not;
- overload: an e-bike port drawing more than its rated power (plus
  ALARM_OVERLOAD_MARGIN), the error code OverCurrentFailure, or a 2.0.1 NotifyEvent of
  an over-current breaker;
- over-temperature: a Temperature reading over ALARM_TEMPERATURE_LIMIT_C, the error
  code HighTemperature, or a 2.0.1 NotifyEvent of a temperature over the limit.

Each cause clears only what it raised (`source`), so a station's "NoError" does not
clear what its meter readings show.
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from reliability.alarms.service import alarm_clear, alarm_raise
from reliability.failures import session_failure
from reliability.models import Alarm
from runtime import sql
from stations.models import ChargingSession, ChargingStation, Connector

Kind = Alarm.Kind
STATUS, METER, EVENT = "status", "meter", "event"
ERROR_CODE_ALARMS = {"HighTemperature": Kind.OVERTEMPERATURE, "OverCurrentFailure": Kind.OVERLOAD}
TEMPERATURE_HYSTERESIS = Decimal(5)  # cleared this far below the limit, not at it


def _raise(kind, station_pk, connector, source, detail, **data):
    return alarm_raise(
        kind,
        station_pk=station_pk,
        connector_id=connector,
        detail=detail,
        data={"source": source, **data},
    )


def _clear(kind, station_pk, connector, source):
    open_alarm = Alarm.objects.filter(
        kind=kind, station_id=station_pk, connector_id=connector, cleared_at__isnull=True
    ).first()
    if open_alarm is not None and open_alarm.data.get("source") == source:
        return alarm_clear(kind, station_pk=station_pk, connector_id=connector)
    return None


def on_status(kind: str, station_pk: int | None, data: dict) -> None:
    connector, status, error = data["connector"], data["status"], data.get("error_code", "")
    # Every status report asks about three kinds: one query for what is open, since a
    # reconnect storm re-reports every connector and almost none has an open alarm. A
    # first report asks nothing: no status of the connector can have raised one (a
    # deleted connector's are cleared, `connector_deleted`).
    raised_by = {} if data.get("first_report") else _open_alarms(station_pk, connector)

    def clear(alarm_kind: str) -> None:
        if raised_by.get(alarm_kind) == STATUS:
            alarm_clear(alarm_kind, station_pk=station_pk, connector_id=connector)

    if status == "Faulted":
        _raise(Kind.FAULTED, station_pk, connector, STATUS, error or "Faulted", error_code=error)
    else:
        clear(Kind.FAULTED)
    if not error:  # a status that followed a transaction: no error code was reported
        return
    for code, alarm_kind in ERROR_CODE_ALARMS.items():
        if error == code:
            _raise(alarm_kind, station_pk, connector, STATUS, code, error_code=code)
        else:
            clear(alarm_kind)


def connector_deleted(station_pk: int, connector: int) -> None:
    """Clear what a deleted connector's statuses raised: a connector of that number
    reported anew starts without them."""
    for kind, source in _open_alarms(station_pk, connector).items():
        if source == STATUS:
            alarm_clear(kind, station_pk=station_pk, connector_id=connector)


def _open_alarms(station_pk: int, connector: int) -> dict[str, str | None]:
    """The connector's open alarms: kind -> what raised it (`data.source`).

    Almost never any: one plain-SQL look first, the ORM's JSON lookup only if some are.
    """
    anything = sql.fetch_one(
        f"SELECT 1 FROM {sql.table(Alarm)}"
        " WHERE station_id = %s AND connector_id = %s AND cleared_at IS NULL",
        [station_pk, connector],
    )
    if anything is None:
        return {}
    return dict(
        Alarm.objects.filter(
            station_id=station_pk, connector_id=connector, cleared_at__isnull=True
        ).values_list("kind", "data__source")
    )


def offline_sweep(now=None) -> int:
    """Raise the offline alarm of every station silent for too long; how many."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.ALARM_OFFLINE_AFTER)
    open_ones = Alarm.objects.filter(kind=Kind.OFFLINE, cleared_at__isnull=True)
    silent = (
        ChargingStation.objects.filter(connected=False, last_seen__lt=limit)
        .exclude(pk__in=open_ones.values("station_id"))
        .values_list("pk", "last_seen")
    )
    raised = 0
    for pk, last_seen in silent:
        if alarm_raise(
            Kind.OFFLINE, station_pk=pk, detail=f"Offline since {last_seen:%Y-%m-%d %H:%M} UTC"
        ):
            raised += 1
    return raised


def on_session_ended(kind: str, station_pk: int | None, data: dict) -> None:
    connector = data.get("connector")
    if not connector:
        return
    _clear(Kind.OVERLOAD, station_pk, connector, METER)  # nothing is drawn any more
    wanted = settings.ALARM_FAILED_SESSIONS_IN_A_ROW
    latest = list(
        ChargingSession.objects.filter(
            station_id=station_pk,
            connector__connector_id=connector,
            state=ChargingSession.State.ENDED,
        ).order_by("-ended_at", "-pk")[:wanted]
    )
    failed = [s for s in latest if session_failure(s)]
    if latest and not session_failure(latest[0]):
        alarm_clear(Kind.FAILED_SESSIONS, station_pk=station_pk, connector_id=connector)
    elif len(latest) == wanted and len(failed) == wanted:
        alarm_raise(
            Kind.FAILED_SESSIONS,
            station_pk=station_pk,
            connector_id=connector,
            detail=f"{wanted} sessions in a row failed",
            data={"sessions": [s.pk for s in latest]},
        )


RATINGS_TTL = 60.0  # seconds the e-bike ports' ratings are kept


@dataclass(frozen=True)
class _Ratings:
    """Every e-bike port's rated power, loaded at once: a query per station and minute
    was 6 % of a loaded process's CPU with 2,000 stations sending meter values."""

    loaded_at: float = -RATINGS_TTL
    newest_pk: int = 0  # stations created since are looked up one by one
    # pk -> {connector: W}, e-bikes only; None: changed here since, looked up again
    by_station: dict = field(default_factory=dict)


_ratings = _Ratings()


def _ebike_ratings(station_pk: int) -> dict[int, int]:
    """The rated power (W) per connector of an e-bike station; {} for a car station."""
    global _ratings
    ratings = _ratings
    if time.monotonic() - ratings.loaded_at >= RATINGS_TTL:
        ratings = _ratings = _ratings_load()
    found = ratings.by_station.get(station_pk, {})
    if found is None or (station_pk > ratings.newest_pk and station_pk not in ratings.by_station):
        found = ratings.by_station[station_pk] = _rated_ports(
            Connector.objects.filter(station_id=station_pk)
        )
    return found


def ratings_changed(station_pk: int) -> None:
    """A station or port was saved in this process: its ratings are read again (other
    processes see the change within RATINGS_TTL)."""
    _ratings.by_station[station_pk] = None


def _ratings_load() -> _Ratings:
    loaded_at = time.monotonic()
    newest = ChargingStation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    by_station: dict[int, dict[int, int]] = {}
    for station_pk, connector_id, watts in _rated_ports(
        Connector.objects.filter(station_id__lte=newest), by_station=True
    ):
        by_station.setdefault(station_pk, {})[connector_id] = watts
    return _Ratings(loaded_at, newest, by_station)


def _rated_ports(connectors, *, by_station: bool = False):
    rated = connectors.filter(station__kind=ChargingStation.Kind.EBIKE, max_power_w__isnull=False)
    if by_station:
        return rated.values_list("station_id", "connector_id", "max_power_w")
    return dict(rated.values_list("connector_id", "max_power_w"))


def on_session_updated(kind: str, station_pk: int | None, data: dict) -> None:
    connector, power = data.get("connector"), data.get("power_w")
    if not connector or power is None:
        return
    rated = _ebike_ratings(station_pk).get(connector)
    if not rated:
        return
    if power > rated * (1 + settings.ALARM_OVERLOAD_MARGIN):
        _raise(
            Kind.OVERLOAD,
            station_pk,
            connector,
            METER,
            f"{power} W drawn, rated {rated} W",
            power_w=power,
            rated_w=rated,
            session=data.get("session"),
        )
    elif power <= rated:
        _clear(Kind.OVERLOAD, station_pk, connector, METER)


def on_temperature(kind: str, station_pk: int | None, data: dict) -> None:
    _temperature(station_pk, data.get("connector") or 0, data["celsius"], METER)


def _temperature(station_pk: int, connector: int, celsius, source: str) -> None:
    limit = Decimal(str(settings.ALARM_TEMPERATURE_LIMIT_C))
    celsius = Decimal(str(celsius))
    if celsius > limit:
        _raise(
            Kind.OVERTEMPERATURE,
            station_pk,
            connector,
            source,
            f"{celsius} °C, limit {limit} °C",
            celsius=str(celsius),
        )
    elif celsius <= limit - TEMPERATURE_HYSTERESIS:
        _clear(Kind.OVERTEMPERATURE, station_pk, connector, source)


def on_station_event(kind: str, station_pk: int | None, data: dict) -> None:
    """2.0.1 NotifyEvent: a temperature or an over-current breaker's state."""
    if data.get("kind") != "NotifyEvent":
        return
    event = data.get("data") or {}
    component = event.get("component") or {}
    variable = (event.get("variable") or {}).get("name", "")
    name = component.get("name", "")
    value = str(event.get("actual_value", ""))
    connector = _connector_of(station_pk, component.get("evse") or {})
    cleared = bool(event.get("cleared"))
    if "Temperature" in variable or "Temperature" in name:
        try:
            celsius = Decimal(value)
        except InvalidOperation:
            celsius = None
        if celsius is not None:
            _temperature(station_pk, connector, celsius, EVENT)
        elif cleared or value.lower() == "false":
            _clear(Kind.OVERTEMPERATURE, station_pk, connector, EVENT)
        elif value.lower() == "true":
            _raise(Kind.OVERTEMPERATURE, station_pk, connector, EVENT, f"{name}.{variable}")
    elif "OverCurrent" in name or "OverCurrent" in variable:
        if cleared or value.lower() in ("false", "0", "closed"):
            _clear(Kind.OVERLOAD, station_pk, connector, EVENT)
        else:
            _raise(Kind.OVERLOAD, station_pk, connector, EVENT, f"{name}.{variable} = {value}")


def _connector_of(station_pk: int, evse: dict) -> int:
    if not evse.get("id"):
        return 0
    found = Connector.objects.filter(station_id=station_pk, evse_id=evse["id"])
    if evse.get("connector_id"):
        found = found.filter(evse_connector_id=evse["connector_id"])
    return found.values_list("connector_id", flat=True).first() or evse["id"]
