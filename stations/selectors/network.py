"""The network overview: stations online, connectors by status, power, energy, faults."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from stations.metering import WHOLE_METER_ENERGY
from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    MeterSample,
    Site,
    StationEvent,
)
from stations.selectors.common import (
    ACTIVE,
    CONNECTOR_STATUSES,
    DEFAULT_ZONE,
    local_midnight,
    site_tz,
)

SECURITY_EVENT = "SecurityEvent"


@dataclass
class SiteFigures:
    pk: int | None
    name: str
    tz: str
    stations: int = 0
    online: int = 0
    active_sessions: int = 0
    power_w: int = 0
    energy_today_wh: int = 0

    @property
    def power_kw(self) -> float:
        return self.power_w / 1000

    @property
    def energy_today_kwh(self) -> float:
        return self.energy_today_wh / 1000


@dataclass
class Fault:
    station_pk: int
    station_id: str
    connector_id: int | None
    code: str
    info: str
    at: dt.datetime
    tz: str


@dataclass
class NetworkOverview:
    sites: list[SiteFigures]
    connectors_by_status: list[tuple[str, int]]
    faults: list[Fault]
    stations: int = 0
    online: int = 0
    connectors: int = 0
    active_sessions: int = 0
    power_w: int = 0
    energy_today_wh: int = 0
    other_statuses: int = field(default=0)

    @property
    def offline(self) -> int:
        return self.stations - self.online

    @property
    def power_kw(self) -> float:
        return self.power_w / 1000

    @property
    def energy_today_kwh(self) -> float:
        return self.energy_today_wh / 1000


def network_overview(now: dt.datetime | None = None) -> NetworkOverview:
    """Everything the overview page shows, in a fixed handful of queries."""
    now = now or timezone.now()
    sites = _sites_figures(now)
    by_status = dict(
        Connector.objects.values_list("status").annotate(n=Count("id")).order_by("status")
    )
    overview = NetworkOverview(
        sites=sites,
        connectors_by_status=[(status, by_status.get(status, 0)) for status in CONNECTOR_STATUSES],
        faults=latest_faults(),
        connectors=sum(by_status.values()),
        other_statuses=sum(n for s, n in by_status.items() if s not in CONNECTOR_STATUSES),
    )
    for site in sites:
        overview.stations += site.stations
        overview.online += site.online
        overview.active_sessions += site.active_sessions
        overview.power_w += site.power_w
        overview.energy_today_wh += site.energy_today_wh
    return overview


def _sites_figures(now: dt.datetime) -> list[SiteFigures]:
    figures = {
        site.pk: SiteFigures(site.pk, site.name, site.timezone) for site in Site.objects.all()
    }
    stations = ChargingStation.objects.values_list("site_id").annotate(
        total=Count("id"), online=Count("id", filter=Q(connected=True))
    )
    sessions = (
        ChargingSession.objects.filter(state=ACTIVE)
        .values_list("station__site_id")
        .annotate(n=Count("id"), power=Coalesce(Sum("power_w"), 0))
    )
    for site_pk, total, online in stations.order_by():
        row = _site_row(figures, site_pk)
        row.stations, row.online = total, online
    for site_pk, count, power in sessions.order_by():
        row = _site_row(figures, site_pk)
        row.active_sessions, row.power_w = count, power
    for site_pk, energy in energy_today_by_site(now).items():
        _site_row(figures, site_pk).energy_today_wh = energy
    return list(figures.values())


def _site_row(figures: dict, site_pk: int | None) -> SiteFigures:
    if site_pk not in figures:
        figures[site_pk] = SiteFigures(None, "", DEFAULT_ZONE)  # stations with no site
    return figures[site_pk]


def energy_today_by_site(now: dt.datetime | None = None) -> dict[int | None, int]:
    """Wh delivered since local midnight, per site (None: stations without a site).

    A session that began before midnight counts only what its energy register gained
    after the last reading before midnight. One query per distinct site time zone.
    """
    now = now or timezone.now()
    zones = set(Site.objects.values_list("timezone", flat=True).distinct()) | {DEFAULT_ZONE}
    totals: dict[int | None, int] = {}
    for zone_name in zones:
        midnight = local_midnight(now, zone_name)
        in_zone = Q(station__site__timezone=zone_name)
        if zone_name == DEFAULT_ZONE:
            in_zone |= Q(station__site__isnull=True)
        rows = (
            ChargingSession.objects.filter(in_zone)
            .filter(Q(state=ACTIVE) | Q(ended_at__gte=midnight))
            .annotate(today=_energy_since(midnight))
            .values_list("station__site_id")
            .annotate(total=Sum("today"))
            .order_by()
        )
        for site_pk, total in rows:
            totals[site_pk] = totals.get(site_pk, 0) + int(total or 0)
    return totals


def _energy_since(midnight: dt.datetime):
    before = (
        MeterSample.objects.filter(
            WHOLE_METER_ENERGY,
            session=OuterRef("pk"),
            timestamp__lt=midnight,
        )
        .order_by("-timestamp")
        .values("value")[:1]
    )
    delivered_before = Greatest(
        Coalesce(Cast(Subquery(before), BigIntegerField()) - F("meter_start_wh"), 0), 0
    )
    return Case(
        When(started_at__gte=midnight, then=F("energy_wh")),
        default=Greatest(F("energy_wh") - delivered_before, 0),
        output_field=BigIntegerField(),
    )


def latest_faults(limit: int = 10) -> list[Fault]:
    """Faulted connectors and stations, and security events, newest first."""
    connectors = (
        Connector.objects.filter(status="Faulted")
        .select_related("station")
        .annotate(tz=Coalesce(F("station__site__timezone"), Value(DEFAULT_ZONE)))
        .order_by("-status_since")[:limit]
    )
    stations = (
        ChargingStation.objects.filter(status="Faulted")
        .annotate(tz=site_tz())
        .order_by("-status_since")[:limit]
    )
    events = (
        StationEvent.objects.filter(kind=SECURITY_EVENT)
        .select_related("station")
        .annotate(tz=Coalesce(F("station__site__timezone"), Value(DEFAULT_ZONE)))[:limit]
    )
    faults = [
        *(Fault(c.station_id, c.station.station_id, c.connector_id, c.error_code, c.info,
                c.status_since, c.tz) for c in connectors),
        *(Fault(s.pk, s.station_id, None, s.error_code, "", s.status_since or s.created_at, s.tz)
          for s in stations),
        *(Fault(e.station_id, e.station.station_id, None, e.status,
                str(e.data.get("tech_info", "")), e.timestamp, e.tz) for e in events),
    ]  # fmt: skip
    faults.sort(key=lambda fault: fault.at, reverse=True)
    return faults[:limit]
