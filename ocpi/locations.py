"""ChargeNet's network as OCPI 2.2.1 Locations: a published site is a Location, each
EVSE of its stations an EVSE (a 1.6 connector is an EVSE of its own; a 2.0.1 EVSE
keeps its connectors), each plug a Connector.

What ChargeNet does not record is derived, and documented in docs/ocpi.md: the plug
standard, format and power type come from the station's kind and power (a car
connector: Type 2 socket, three-phase AC; above 43 kW a CCS2 cable, DC; an e-bike
pile: a domestic type F socket, single-phase AC).
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from billing.services.tariffs import tariff_for
from ocpi.common import timestamp
from ocpi.models import SitePublication
from stations.models import ChargingStation, Connector

#: OCPP connector statuses (1.6 ChargePointStatus, 2.0.1 ConnectorStatus) → OCPI EVSE
#: status. A station that is not connected is UNKNOWN, one not accepted INOPERATIVE.
STATUS = {
    "Available": "AVAILABLE",
    "Preparing": "CHARGING",
    "Charging": "CHARGING",
    "SuspendedEV": "CHARGING",
    "SuspendedEVSE": "CHARGING",
    "Finishing": "CHARGING",
    "Occupied": "CHARGING",
    "Reserved": "RESERVED",
    "Unavailable": "INOPERATIVE",
    "Faulted": "OUTOFORDER",
}
# When an EVSE has several connectors the busiest status wins.
_PRECEDENCE = ["CHARGING", "RESERVED", "AVAILABLE", "BLOCKED", "INOPERATIVE", "OUTOFORDER"]
DC_ABOVE_W = 43_000
CAPABILITIES = ["REMOTE_START_STOP_CAPABLE", "RESERVABLE", "RFID_READER", "UNLOCK_CAPABLE"]


@dataclass(frozen=True)
class EvseKey:
    station: ChargingStation
    number: int  # the 2.0.1 EVSE id, or the 1.6 connector id


def evse_number(connector: Connector) -> int:
    return connector.evse_id or connector.connector_id


def evse_uid(station: ChargingStation, number: int) -> str:
    uid = f"{station.station_id}-{number}"
    return uid if len(uid) <= 36 and uid.isprintable() else f"CN{station.pk}-{number}"


def evse_id(station: ChargingStation, number: int) -> str:
    """The eMI3 EVSE id: <country>*<party>*E<station>*<evse>, upper-case A-Z0-9."""
    name = re.sub(r"[^A-Z0-9]", "", station.station_id.upper())
    if not name or len(name) + len(str(number)) > 29:
        name = f"CN{station.pk}"
    return f"{settings.OCPI_COUNTRY_CODE}*{settings.OCPI_PARTY_ID}*E{name}*{number}"


def connector_id(connector: Connector) -> str:
    """A 2.0.1 connector's number on its EVSE; a 1.6 connector is its EVSE's only one."""
    if connector.evse_id:
        return str(connector.evse_connector_id or 1)
    return "1"


def evse_status(station: ChargingStation, connectors: list[Connector]) -> str:
    if station.registration_status != ChargingStation.Registration.ACCEPTED:
        return "INOPERATIVE"
    if not station.connected:
        return "UNKNOWN"
    statuses = {STATUS.get(c.status, "UNKNOWN") for c in connectors}
    for status in _PRECEDENCE:
        if status in statuses:
            return status
    return "UNKNOWN"


def connector_object(connector: Connector, tariff_ids: list[str]) -> dict:
    station = connector.station
    if station.kind == ChargingStation.Kind.EBIKE:
        power = connector.max_power_w or 3_680
        standard, form, power_type, voltage = "DOMESTIC_F", "SOCKET", "AC_1_PHASE", 230
        amperage = power / voltage
    else:
        power = connector.max_power_w or 22_000
        if power > DC_ABOVE_W:
            standard, form, power_type, voltage = "IEC_62196_T2_COMBO", "CABLE", "DC", 400
            amperage = power / voltage
        else:
            standard, form, power_type, voltage = "IEC_62196_T2", "SOCKET", "AC_3_PHASE", 230
            amperage = power / (3 * voltage)
    return {
        "id": connector_id(connector),
        "standard": standard,
        "format": form,
        "power_type": power_type,
        "max_voltage": voltage,
        "max_amperage": max(1, round(amperage)),
        "max_electric_power": power,
        "tariff_ids": tariff_ids,
        "last_updated": timestamp(connector.status_since),
    }


def tariff_ids(connector: Connector) -> list[str]:
    station = connector.station
    tariff = tariff_for(station_pk=station.pk, connector_pk=connector.pk, site_pk=station.site_id)
    return [tariff_id(tariff.pk)] if tariff is not None else []


def tariff_id(pk: int) -> str:
    return f"TARIFF-{pk}"


def evse_object(station: ChargingStation, number: int, connectors: list[Connector]) -> dict:
    moments = [c.status_since for c in connectors if c.status_since]
    moments += [m for m in (station.status_since, station.last_seen) if m]
    return {
        "uid": evse_uid(station, number),
        "evse_id": evse_id(station, number),
        "status": evse_status(station, connectors),
        "capabilities": CAPABILITIES,
        "connectors": [connector_object(c, tariff_ids(c)) for c in connectors],
        "last_updated": timestamp(max(moments) if moments else station.created_at),
    }


def evses_of(publication: SitePublication) -> dict[tuple[int, int], tuple]:
    """(station pk, EVSE number) → (station, number, connectors), in station order."""
    evses: dict[tuple[int, int], tuple] = {}
    connectors = (
        Connector.objects.filter(station__site_id=publication.site_id, connector_id__gt=0)
        .select_related("station")
        .order_by("station__station_id", "connector_id")
    )
    for connector in connectors:
        key = (connector.station_id, evse_number(connector))
        entry = evses.setdefault(key, (connector.station, key[1], []))
        entry[2].append(connector)
    return evses


def location_object(publication: SitePublication) -> dict:
    site = publication.site
    evses = [evse_object(*entry) for entry in evses_of(publication).values()]
    updated = [publication.updated_at, *(_parse(e["last_updated"]) for e in evses)]
    location = {
        "country_code": settings.OCPI_COUNTRY_CODE,
        "party_id": settings.OCPI_PARTY_ID,
        "id": publication.location_id,
        "publish": publication.published,
        "name": site.name[:255],
        "address": publication.address,
        "city": publication.city,
        "country": publication.country.upper(),
        "coordinates": {
            "latitude": f"{publication.latitude:.6f}",
            "longitude": f"{publication.longitude:.6f}",
        },
        "parking_type": "PARKING_LOT",
        "evses": evses,
        "operator": {"name": settings.OCPI_BUSINESS_NAME[:100]},
        "time_zone": site.timezone,
        "last_updated": timestamp(max(updated)),
    }
    if publication.postal_code:
        location["postal_code"] = publication.postal_code
    return location


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def publications(*, published_only: bool = False):
    rows = SitePublication.objects.select_related("site").order_by("location_id")
    return rows.filter(published=True) if published_only else rows
