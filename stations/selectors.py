"""Read queries for the operator pages: one function per page or panel, no N+1.

Energy stays integer Wh and power W; the `*_kwh` / `*_kw` values added here are for
display only. Times stay aware UTC; each row carries the time zone (`tz`) of its
site so templates can show it in local time.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_noop

from stations.metering import ENERGY_REGISTER, POWER
from stations.models import (
    ChargingProfile,
    ChargingSession,
    ChargingStation,
    Command,
    Connector,
    DeviceModelVariable,
    MeterSample,
    OcppMessage,
    Reservation,
    Site,
    StationEvent,
)

# OCPP 1.6 connector statuses, in the order an operator reads them (DESIGN: 2.0.1
# states map onto these). gettext_noop: templates translate them with {% translate %}.
CONNECTOR_STATUSES = (
    gettext_noop("Available"),
    gettext_noop("Preparing"),
    gettext_noop("Charging"),
    gettext_noop("SuspendedEV"),
    gettext_noop("SuspendedEVSE"),
    gettext_noop("Finishing"),
    gettext_noop("Reserved"),
    gettext_noop("Unavailable"),
    gettext_noop("Faulted"),
)
ONLINE, OFFLINE = "online", "offline"
SECURITY_EVENT = "SecurityEvent"
DEFAULT_ZONE = "UTC"
ACTIVE = ChargingSession.State.ACTIVE


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The site's time zone; UTC for a missing or unknown name."""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def local_midnight(now: dt.datetime, zone_name: str) -> dt.datetime:
    """Today's midnight in the zone, as an aware datetime."""
    local = now.astimezone(zone(zone_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _site_tz():
    return Coalesce(F("site__timezone"), Value(DEFAULT_ZONE), output_field=CharField())


def _session_tz():
    return Coalesce(F("station__site__timezone"), Value(DEFAULT_ZONE), output_field=CharField())


def _kilo(field_name: str):
    return Cast(F(field_name), FloatField()) / 1000.0


# --- network overview -------------------------------------------------------------


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
            session=OuterRef("pk"),
            measurand=ENERGY_REGISTER,
            phase="",
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
        .annotate(tz=_site_tz())
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


# --- stations ---------------------------------------------------------------------


@dataclass(frozen=True)
class StationFilters:
    q: str = ""
    site: int | None = None
    status: str = ""  # online | offline | a connector status
    kind: str = ""
    version: str = ""


def station_list(filters: StationFilters) -> QuerySet[ChargingStation]:
    """Stations with their site and connectors (two queries for the whole page)."""
    stations = (
        ChargingStation.objects.select_related("site")
        .prefetch_related(
            Prefetch("connectors", queryset=Connector.objects.order_by("connector_id"))
        )
        .annotate(tz=_site_tz())
        .order_by("station_id")
    )
    if filters.q:
        stations = stations.filter(
            Q(station_id__icontains=filters.q)
            | Q(vendor__icontains=filters.q)
            | Q(model__icontains=filters.q)
            | Q(serial_number__icontains=filters.q)
        )
    if filters.site:
        stations = stations.filter(site_id=filters.site)
    if filters.kind:
        stations = stations.filter(kind=filters.kind)
    if filters.version:
        stations = stations.filter(ocpp_version=filters.version)
    if filters.status in (ONLINE, OFFLINE):
        stations = stations.filter(connected=filters.status == ONLINE)
    elif filters.status:
        with_status = Connector.objects.filter(station=OuterRef("pk"), status=filters.status)
        stations = stations.filter(Exists(with_status))
    return stations


def station_by_id(station_id: str) -> ChargingStation | None:
    return ChargingStation.objects.select_related("site").filter(station_id=station_id).first()


def station_connectors(station: ChargingStation) -> list[Connector]:
    """The connectors, each with `.session`: its active session or None."""
    connectors = list(station.connectors.order_by("connector_id"))
    active = _with_display(
        ChargingSession.objects.filter(station=station, state=ACTIVE).select_related("connector")
    ).order_by("started_at")
    by_connector = {session.connector_id: session for session in active}
    for connector in connectors:
        connector.session = by_connector.get(connector.pk)
    return connectors


def station_events(station: ChargingStation, limit: int = 15) -> list[StationEvent]:
    return list(station.events.all()[:limit])


def station_recent_sessions(station: ChargingStation, limit: int = 8) -> list[ChargingSession]:
    sessions = ChargingSession.objects.filter(station=station).select_related("connector")
    return list(_with_display(sessions).order_by("-started_at")[:limit])


def station_commands(station: ChargingStation, limit: int = 10) -> list[Command]:
    return list(station.commands.select_related("requested_by").order_by("-created_at")[:limit])


def station_device_model(station: ChargingStation, limit: int = 500) -> list[DeviceModelVariable]:
    """The configuration as last reported (1.6 keys are variables of component "OCPP 1.6")."""
    return list(station.device_model.order_by("component", "evse_id", "variable")[:limit])


def station_reservations(station: ChargingStation, limit: int = 20) -> list[Reservation]:
    return list(
        station.reservations.select_related("connector").order_by("-created_at", "-id")[:limit]
    )


def station_charging_profiles(station: ChargingStation, limit: int = 50) -> list[ChargingProfile]:
    profiles = station.charging_profiles.select_related("connector")
    return list(profiles.order_by("-created_at", "-id")[:limit])


# --- sessions ---------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFilters:
    site: int | None = None
    station: str = ""
    token: str = ""
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    state: str = ""


def _with_display(sessions: QuerySet[ChargingSession]) -> QuerySet[ChargingSession]:
    return sessions.annotate(
        tz=_session_tz(), energy_kwh=_kilo("energy_wh"), power_kw=_kilo("power_w")
    )


def session_list(filters: SessionFilters) -> QuerySet[ChargingSession]:
    """Sessions, newest first, with station, site and connector joined in."""
    sessions = _with_display(
        ChargingSession.objects.select_related("station", "station__site", "connector")
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


def session_for_station(station: ChargingStation, session_pk: int) -> ChargingSession | None:
    return ChargingSession.objects.filter(station=station, pk=session_pk).first()


def session_samples(
    session: ChargingSession, after: dt.datetime | None = None, limit: int = 5000
) -> dict[str, list]:
    """Power (W) and session energy (Wh) by sample time, for a chart.

    Returns aligned arrays `t` (Unix seconds), `power_w` and `energy_wh` (energy
    delivered in the session: register minus meter start); a gap is None.
    """
    samples = MeterSample.objects.filter(
        session=session, measurand__in=(POWER, ENERGY_REGISTER), phase=""
    )
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


# --- message log ------------------------------------------------------------------

CALL_ERROR = 4


@dataclass(frozen=True)
class MessageFilters:
    action: str = ""
    direction: str = ""
    errors_only: bool = False


def message_list(station: ChargingStation, filters: MessageFilters) -> QuerySet[OcppMessage]:
    messages = OcppMessage.objects.filter(station=station).order_by("-created_at", "-id")
    if filters.action:
        messages = messages.filter(action=filters.action)
    if filters.direction:
        messages = messages.filter(direction=filters.direction)
    if filters.errors_only:
        messages = messages.filter(message_type=CALL_ERROR)
    return messages


def message_actions(station: ChargingStation) -> list[str]:
    """The actions in this station's log, for the filter."""
    actions = (
        OcppMessage.objects.filter(station=station)
        .exclude(action="")
        .values_list("action", flat=True)
        .distinct()
        .order_by("action")
    )
    return list(actions)


def sites() -> list[Site]:
    return list(Site.objects.all())
