"""Which stations ChargeNet knows and what they are: operators register and edit them
(the REST API), an unknown station that connects may be kept as pending, and a
booting station says what it is and learns whether it is accepted.

A password set by hand (registration, an edit) replaces any rotation under way
(stations/services/passwords.py).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from runtime import sql
from stations import events
from stations.models import ChargingStation, Connector
from stations.services import first_reports, reconcile


@dataclass(frozen=True)
class BootResult:
    status: str  # Accepted | Pending | Rejected
    interval: int
    current_time: datetime


@transaction.atomic
def station_register(
    *, password: str | None = None, connector_count: int = 0, **fields
) -> ChargingStation:
    """Register a station: hash its password and create connectors 1..N, Unavailable
    until the station reports. Raises IntegrityError if the station id is taken."""
    station = ChargingStation(**fields)
    station.set_password(password)
    station.save()
    Connector.objects.bulk_create(
        Connector(station=station, connector_id=number, status="Unavailable")
        for number in range(1, connector_count + 1)
    )
    return station


_UNCHANGED = object()


@transaction.atomic
def station_update(station: ChargingStation, *, password=_UNCHANGED, **fields) -> ChargingStation:
    """An operator's edit: set these ChargingStation fields (and the password, if
    given: None or "" removes it) and save the station whole."""
    if password is not _UNCHANGED:
        station.set_password(password)
    for name, value in fields.items():
        setattr(station, name, value)
    station.save()
    return station


def stations_registration_set(*, station_pks: list[int], status: str) -> int:
    """An operator accepts or rejects stations; returns how many changed. A connected
    station picks the new status up at its next message (stations/ocpp/base.py)."""
    return ChargingStation.objects.filter(pk__in=station_pks).update(registration_status=status)


def station_register_pending(*, station_id: str) -> ChargingStation:
    """An unknown station that connects, kept as pending for an operator to accept."""
    station, _ = ChargingStation.objects.get_or_create(
        station_id=station_id,
        defaults={"registration_status": ChargingStation.Registration.PENDING},
    )
    return station


def station_boot(
    *,
    station_pk: int,
    vendor: str,
    model: str,
    serial_number: str = "",
    firmware_version: str = "",
    iccid: str = "",
    imsi: str = "",
    meter_type: str = "",
    meter_serial_number: str = "",
) -> BootResult:
    """Record what the station says it is; answer with its registration status.

    One round trip and no explicit transaction: a reconnect storm boots thousands of
    stations at once, and each write stands on its own (a boot sent again writes them
    again). A station that boots again has lost what it was doing: sessions it does
    not continue (replayed stops, new events) within the grace are closed (reconcile).
    """
    now = timezone.now()
    at = sql.moment(now)
    booted, _ = sql.together(
        [
            (
                f"UPDATE {sql.table(ChargingStation)} SET vendor = %s, model = %s,"
                " serial_number = %s, firmware_version = %s, iccid = %s, imsi = %s,"
                " meter_type = %s, meter_serial_number = %s, last_boot_at = %s,"
                " last_seen = %s WHERE id = %s RETURNING registration_status, status",
                [
                    vendor,
                    model,
                    serial_number,
                    firmware_version,
                    iccid,
                    imsi,
                    meter_type,
                    meter_serial_number,
                    at,
                    at,
                    station_pk,
                ],
            ),
            reconcile.suspect_statement(station_pk, reconcile.REASON_REBOOT, now=now),
        ]
    )
    if booted.row is None:
        raise ChargingStation.DoesNotExist(f"station {station_pk}")
    registration, reported = booted.row
    first_reports.expected(station_pk, not reported)
    # Pages listing the station show what it now says it is, without a reload.
    events.publish(
        "station.booted",
        station_pk,
        {"vendor": vendor, "model": model, "firmware_version": firmware_version},
    )
    if registration == ChargingStation.Registration.ACCEPTED:
        return BootResult("Accepted", settings.OCPP_HEARTBEAT_INTERVAL, now)
    if registration == ChargingStation.Registration.PENDING:
        return BootResult("Pending", settings.OCPP_PENDING_INTERVAL, now)
    return BootResult("Rejected", settings.OCPP_PENDING_INTERVAL, now)


def station_registration(*, station_pk: int) -> str:
    return ChargingStation.objects.values_list("registration_status", flat=True).get(pk=station_pk)
