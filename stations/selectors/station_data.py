"""What a station holds and how its requests went: the device model browser, monitors,
display messages, certificates, customer-information reports, firmware updates."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from stations.models import (
    ChargingStation,
    Command,
    CustomerInformationReport,
    DeviceModelVariable,
    DisplayMessage,
    InstalledCertificate,
    StationEvent,
    VariableMonitor,
)

# Monitoring settings the station holds as a whole: the last accepted command sets them.
MONITORING_SETTINGS = {"set_monitoring_base": "base", "set_monitoring_level": "severity"}


@dataclass(frozen=True)
class DeviceModelFilters:
    component: str = ""
    q: str = ""
    evse: int | None = None


@dataclass
class DeviceVariable:
    """One component variable: its attributes (Actual, Target, ...) and monitors."""

    component: str
    component_instance: str
    evse_id: int
    connector_id: int
    variable: str
    variable_instance: str
    attributes: list[DeviceModelVariable] = field(default_factory=list)
    monitors: list[VariableMonitor] = field(default_factory=list)

    @property
    def actual(self) -> DeviceModelVariable | None:
        return next((a for a in self.attributes if a.attribute_type == "Actual"), None)

    @property
    def characteristics(self) -> DeviceModelVariable:
        return self.actual or self.attributes[0]

    @property
    def key(self) -> str:
        """The key the page's command forms take: Component[/instance].Variable[instance],
        with @evse[/connector] for a component of one EVSE."""
        component = self.component + (
            f"/{self.component_instance}" if self.component_instance else ""
        )
        variable = self.variable + (f"[{self.variable_instance}]" if self.variable_instance else "")
        at = ""
        if self.evse_id:
            at = f"@{self.evse_id}" + (f"/{self.connector_id}" if self.connector_id else "")
        return f"{component}.{variable}{at}"


def _place(row) -> tuple:
    return (
        row.component,
        row.component_instance,
        row.evse_id,
        row.connector_id,
        row.variable,
        row.variable_instance,
    )


def device_model_components(station: ChargingStation) -> list[str]:
    """The names of the components the station reported, for the browser's filter."""
    names = station.device_model.values_list("component", flat=True).distinct()
    return sorted(set(names))


def device_model_browse(
    station: ChargingStation, filters: DeviceModelFilters, limit: int = 1000
) -> list[DeviceVariable]:
    """The station's device model by component variable, each with its monitors."""
    rows = station.device_model.all()
    monitors = station.variable_monitors.all()
    if filters.component:
        rows = rows.filter(component=filters.component)
        monitors = monitors.filter(component=filters.component)
    if filters.evse is not None:
        rows = rows.filter(evse_id=filters.evse)
        monitors = monitors.filter(evse_id=filters.evse)
    if filters.q:
        text = Q(variable__icontains=filters.q) | Q(component__icontains=filters.q)
        rows = rows.filter(text | Q(value__icontains=filters.q))
        monitors = monitors.filter(text)
    order = ("component", "component_instance", "evse_id", "connector_id", "variable")
    variables: dict[tuple, DeviceVariable] = {}
    for row in rows.order_by(*order, "variable_instance", "attribute_type")[:limit]:
        place = _place(row)
        if place not in variables:
            variables[place] = DeviceVariable(*place)
        variables[place].attributes.append(row)
    for monitor in monitors.order_by("monitor_id"):
        place = _place(monitor)
        if place not in variables:  # a monitor on a variable no report named
            variables[place] = DeviceVariable(*place)
        variables[place].monitors.append(monitor)
    return sorted(variables.values(), key=lambda v: (v.component, v.evse_id, v.variable))


def station_monitors(station: ChargingStation) -> list[VariableMonitor]:
    return list(station.variable_monitors.order_by("component", "variable", "monitor_id"))


def monitoring_settings(station: ChargingStation) -> dict[str, str]:
    """The monitoring base and level the station last accepted (empty if never set)."""
    settings = {}
    for action, name in MONITORING_SETTINGS.items():
        command = (
            Command.objects.filter(station=station, action=action, status="accepted")
            .order_by("-created_at", "-id")
            .first()
        )
        if command is not None:
            settings[name] = str(command.params.get(name, ""))
    return settings


def station_display_messages(station: ChargingStation) -> list[DisplayMessage]:
    return list(DisplayMessage.objects.filter(station=station).order_by("message_id"))


def station_certificates(station: ChargingStation) -> list[InstalledCertificate]:
    certificates = InstalledCertificate.objects.filter(station=station).select_related("parent")
    return list(certificates.order_by("certificate_type", "parent_id", "serial_number"))


def station_customer_reports(
    station: ChargingStation, limit: int = 10
) -> list[CustomerInformationReport]:
    reports = CustomerInformationReport.objects.filter(station=station).select_related("command")
    return list(reports.order_by("-updated_at", "-id")[:limit])


@dataclass(frozen=True)
class FirmwareProgress:
    status: str
    at: datetime


@dataclass
class FirmwareUpdate:
    """One firmware update request and what the station reported of it."""

    command: Command
    progress: list[FirmwareProgress]

    @property
    def params(self) -> dict:
        return self.command.params

    @property
    def signed(self) -> bool:
        return bool(self.params.get("signing_certificate") or self.params.get("signature"))

    @property
    def attempts(self) -> int:
        """How often the station started the download (a retry starts it again)."""
        return sum(p.status == "Downloading" for p in self.progress)

    @property
    def latest(self) -> str:
        return self.progress[-1].status if self.progress else ""


def firmware_history(station: ChargingStation, limit: int = 10) -> list[FirmwareUpdate]:
    """The station's firmware updates, newest first, each with its progress in order.

    A 2.x (or 1.6 signed) status names its request; a 1.6 status names none and
    belongs to the latest update sent before it.
    """
    commands = list(
        Command.objects.filter(station=station, action="update_firmware").order_by(
            "-created_at", "-id"
        )[:limit]
    )
    if not commands:
        return []
    events = StationEvent.objects.filter(
        station=station, kind="FirmwareStatus", created_at__gte=commands[-1].created_at
    ).order_by("created_at", "id")
    updates = {command.pk: FirmwareUpdate(command, []) for command in commands}
    by_age = sorted(commands, key=lambda c: c.created_at)
    for event in events:
        request_id = (event.data or {}).get("request_id")
        update = updates.get(request_id) if request_id is not None else None
        if update is None and request_id is None:
            sent_before = [c for c in by_age if c.created_at <= event.created_at]
            update = updates[sent_before[-1].pk] if sent_before else None
        if update is not None:
            update.progress.append(FirmwareProgress(event.status, event.timestamp))
    return [updates[command.pk] for command in commands]
