"""The sessions page and the samples of one session's chart."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from stations.metering import ENERGY_REGISTER, POWER, WHOLE_METER_ENERGY, WHOLE_METER_POWER
from stations.models import ChargingSession, ChargingStation, MeterSample, Site
from stations.selectors.common import DEFAULT_ZONE, with_display, zone


@dataclass(frozen=True)
class SessionFilters:
    site: int | None = None
    station: str = ""
    token: str = ""
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    state: str = ""


def session_list(filters: SessionFilters) -> QuerySet[ChargingSession]:
    """Sessions, newest first, with station, site, connector and price joined in."""
    sessions = with_display(
        ChargingSession.objects.select_related("station", "station__site", "connector", "charge")
    ).order_by("-started_at", "-id")
    if filters.site:
        sessions = sessions.filter(station__site_id=filters.site)
    if filters.station:
        sessions = sessions.filter(station__station_id=filters.station)
    if filters.token:
        sessions = sessions.filter(id_tag__icontains=filters.token)
    if filters.state:
        sessions = sessions.filter(state=filters.state)
    # Dates are days in the chosen site's time zone (UTC when no site is chosen).
    zone_name = _filter_zone(filters.site)
    if filters.since:
        sessions = sessions.filter(started_at__gte=_day_start(filters.since, zone_name))
    if filters.until:
        end = _day_start(filters.until + dt.timedelta(days=1), zone_name)
        sessions = sessions.filter(started_at__lt=end)
    return sessions


def _filter_zone(site_pk: int | None) -> str:
    if not site_pk:
        return DEFAULT_ZONE
    return Site.objects.filter(pk=site_pk).values_list("timezone", flat=True).first() or (
        DEFAULT_ZONE
    )


def _day_start(day: dt.date, zone_name: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone(zone_name))


def session_detail(pk: int) -> ChargingSession | None:
    """One session with its station, site, connector, price and stop requester joined in."""
    sessions = ChargingSession.objects.select_related(
        "station", "station__site", "connector", "charge", "stop_requested_by", "id_token"
    )
    return with_display(sessions).filter(pk=pk).first()


def session_for_station(station: ChargingStation, session_pk: int) -> ChargingSession | None:
    return ChargingSession.objects.filter(station=station, pk=session_pk).first()


def session_samples(
    session: ChargingSession, after: dt.datetime | None = None, limit: int = 5000
) -> dict[str, list]:
    """Power (W) and session energy (Wh) by sample time, for a chart.

    Returns aligned arrays `t` (Unix seconds), `power_w` and `energy_wh` (energy
    delivered in the session: register minus meter start); a gap is None.
    """
    samples = MeterSample.objects.filter(WHOLE_METER_ENERGY | WHOLE_METER_POWER, session=session)
    if after is not None:
        samples = samples.filter(timestamp__gt=after)
    newest = samples.order_by("-timestamp").values_list("timestamp", "measurand", "value")
    rows = list(newest[: limit * 2])
    points: dict[dt.datetime, dict[str, Decimal]] = {}
    for timestamp, measurand, value in reversed(rows):
        points.setdefault(timestamp, {})[measurand] = value
    series: dict[str, list] = {"t": [], "power_w": [], "energy_wh": []}
    for timestamp, values in sorted(points.items())[-limit:]:
        series["t"].append(timestamp.timestamp())
        power, energy = values.get(POWER), values.get(ENERGY_REGISTER)
        series["power_w"].append(None if power is None else int(power))
        series["energy_wh"].append(
            None if energy is None else max(0, int(energy) - session.meter_start_wh)
        )
    return series
