"""The station list and everything one station's page shows."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from stations.models import (
    ChargingProfile,
    ChargingSession,
    ChargingStation,
    Command,
    Connector,
    DeviceModelVariable,
    Reservation,
    StationEvent,
)
from stations.selectors.common import ACTIVE, OFFLINE, ONLINE, site_tz, with_display


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
        .annotate(tz=site_tz())
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
    active = with_display(
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
    return list(with_display(sessions).order_by("-started_at")[:limit])


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


def station_exists(pk: int) -> bool:
    """Whether a station has that pk (the live socket checks a page's subscription)."""
    return ChargingStation.objects.filter(pk=pk).exists()
