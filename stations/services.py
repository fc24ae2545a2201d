"""Version-neutral station business logic: the only code that writes station state.

Every function is synchronous and transactional; OCPP adapters call them through
`database_sync_to_async`. They take plain values (never OCPP payloads) and return
plain results the adapters translate back into their version's words.

Sanity problems in transaction data (meter going backwards, clocks in 1970, unknown
transaction ids, late meter values) are recorded as flags and always answered: a
CallError on a transaction message makes the station retry it for ever.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from stations import events
from stations.metering import Sample, energy_reading_wh, plausible_time, power_reading_w
from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    IdToken,
    MeterSample,
    OcppMessage,
    StationEvent,
)

logger = logging.getLogger(__name__)

# Authorization answers, in OCPP words shared by 1.6 and 2.0.1.
ACCEPTED, BLOCKED, EXPIRED, INVALID, CONCURRENT_TX = (
    "Accepted",
    "Blocked",
    "Expired",
    "Invalid",
    "ConcurrentTx",
)
_TOKEN_STATUS = {
    IdToken.Status.ACCEPTED: ACCEPTED,
    IdToken.Status.BLOCKED: BLOCKED,
    IdToken.Status.EXPIRED: EXPIRED,
    IdToken.Status.INVALID: INVALID,
}


@dataclass(frozen=True)
class BootResult:
    status: str  # Accepted | Pending | Rejected
    interval: int
    current_time: datetime


@dataclass(frozen=True)
class Authorization:
    status: str
    expires_at: datetime | None = None
    parent: str | None = None


@dataclass(frozen=True)
class StartResult:
    session: ChargingSession
    authorization: Authorization


# --- connection -------------------------------------------------------------------


def station_connect(*, station_pk: int, channel_name: str, ocpp_version: str) -> None:
    """Mark the station as held by this socket (a newer socket always wins)."""
    now = timezone.now()
    ChargingStation.objects.filter(pk=station_pk).update(
        connected=True,
        connection_channel=channel_name,
        ocpp_version=ocpp_version,
        last_seen=now,
    )
    events.publish("station.connected", station_pk, {"connected": True})


def station_disconnect(*, station_pk: int, channel_name: str) -> None:
    """Mark the station offline, unless a newer socket holds it already."""
    updated = ChargingStation.objects.filter(pk=station_pk, connection_channel=channel_name).update(
        connected=False, connection_channel="", last_seen=timezone.now()
    )
    if updated:
        events.publish("station.connected", station_pk, {"connected": False})


def station_touch(*, station_pk: int) -> None:
    ChargingStation.objects.filter(pk=station_pk).update(last_seen=timezone.now())


# --- boot, heartbeat, status ------------------------------------------------------


@transaction.atomic
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
    """Record what the station says it is; answer with its registration status."""
    station = ChargingStation.objects.select_for_update().get(pk=station_pk)
    now = timezone.now()
    station.vendor, station.model = vendor, model
    station.serial_number, station.firmware_version = serial_number, firmware_version
    station.iccid, station.imsi = iccid, imsi
    station.meter_type, station.meter_serial_number = meter_type, meter_serial_number
    station.last_boot_at = station.last_seen = now
    station.save()
    if station.registration_status == ChargingStation.Registration.ACCEPTED:
        return BootResult("Accepted", settings.OCPP_HEARTBEAT_INTERVAL, now)
    if station.registration_status == ChargingStation.Registration.PENDING:
        return BootResult("Pending", settings.OCPP_PENDING_INTERVAL, now)
    return BootResult("Rejected", settings.OCPP_PENDING_INTERVAL, now)


def station_registration(*, station_pk: int) -> str:
    return ChargingStation.objects.values_list("registration_status", flat=True).get(pk=station_pk)


@transaction.atomic
def connector_status_update(
    *,
    station_pk: int,
    connector_id: int,
    status: str,
    error_code: str = "NoError",
    info: str = "",
    vendor_error_code: str = "",
    timestamp: datetime | None = None,
    evse_id: int | None = None,
    evse_connector_id: int | None = None,
) -> None:
    """Store a status report; connector 0 is the station as a whole."""
    now = timezone.now()
    since = timestamp if plausible_time(timestamp, now) else now
    if connector_id == 0:
        ChargingStation.objects.filter(pk=station_pk).update(
            status=status, error_code=error_code, status_since=since, last_seen=now
        )
    else:
        connector, created = Connector.objects.select_for_update().get_or_create(
            station_id=station_pk,
            connector_id=connector_id,
            defaults={"status": status, "status_since": since},
        )
        if created or connector.status != status:
            connector.status_since = since
        connector.status, connector.error_code = status, error_code
        connector.info, connector.vendor_error_code = info, vendor_error_code
        if evse_id is not None:
            connector.evse_id, connector.evse_connector_id = evse_id, evse_connector_id
        connector.save()
    events.publish(
        "connector.status",
        station_pk,
        {"connector": connector_id, "status": status, "error_code": error_code},
    )


def station_event_record(
    *,
    station_pk: int,
    kind: str,
    status: str = "",
    timestamp: datetime | None = None,
    data: dict | None = None,
) -> StationEvent:
    """Keep a notification where an operator can see it; track the latest status."""
    now = timezone.now()
    event = StationEvent.objects.create(
        station_id=station_pk,
        kind=kind,
        status=status,
        timestamp=timestamp if plausible_time(timestamp, now) else now,
        data=data or {},
    )
    status_field = {
        "FirmwareStatus": "firmware_status",
        "DiagnosticsStatus": "diagnostics_status",
        "LogStatus": "log_status",
    }.get(kind)
    if status_field:
        ChargingStation.objects.filter(pk=station_pk).update(**{status_field: status})
    return event


# --- authorization ----------------------------------------------------------------


def id_token_authorize(
    *, value: str, station_pk: int | None = None, for_start: bool = False
) -> Authorization:
    """Answer whether a token may charge; ConcurrentTx if it is charging elsewhere."""
    token = IdToken.objects.select_related("parent").filter(value=value).first()
    if token is None:
        return Authorization(INVALID)
    status = _TOKEN_STATUS[token.effective_status()]
    parent = token.parent.value if token.parent else None
    if status == ACCEPTED and not for_start:
        busy = ChargingSession.objects.filter(
            id_token=token, state=ChargingSession.State.ACTIVE
        ).exists()
        if busy:
            status = CONCURRENT_TX
    return Authorization(status, token.expires_at, parent)


# --- sessions ---------------------------------------------------------------------


@transaction.atomic
def session_start(
    *,
    station_pk: int,
    connector_id: int,
    id_tag: str,
    meter_start_wh: int,
    timestamp: datetime | None,
    reservation_id: int | None = None,
    transaction_id: str | None = None,
    remote_start_id: int | None = None,
) -> StartResult:
    """Open a session, or return the one a replayed start already opened.

    `transaction_id` is the station's own id (2.0.1); without it ChargeNet assigns an
    integer id (1.6).
    """
    now = timezone.now()
    started_at = timestamp if plausible_time(timestamp, now) else now
    station = ChargingStation.objects.select_for_update().get(pk=station_pk)
    replayed = _find_replayed_start(
        station, connector_id, id_tag, meter_start_wh, started_at, transaction_id
    )
    authorization = (
        id_token_authorize(value=id_tag, for_start=True) if id_tag else Authorization(ACCEPTED)
    )
    if replayed:
        return StartResult(replayed, authorization)
    connector, _ = Connector.objects.get_or_create(station=station, connector_id=connector_id)
    _close_superseded_sessions(connector, started_at)
    session = ChargingSession.objects.create(
        station=station,
        connector=connector,
        id_token=IdToken.objects.filter(value=id_tag).first() if id_tag else None,
        id_tag=id_tag,
        transaction_id=transaction_id,
        started_at=started_at,
        meter_start_wh=meter_start_wh,
        meter_last_wh=meter_start_wh,
        reservation_id=reservation_id,
        remote_start_id=remote_start_id,
    )
    if started_at is not timestamp:
        session.add_flag("start_time_implausible")
    if authorization.status != ACCEPTED:
        session.add_flag(f"token_{authorization.status.lower()}")
    if transaction_id is None:
        session.transaction_id = str(session.pk)
    session.save()
    events.publish("session.started", station_pk, _session_event(session))
    return StartResult(session, authorization)


def _find_replayed_start(station, connector_id, id_tag, meter_start_wh, started_at, transaction_id):
    sessions = ChargingSession.objects.filter(station=station)
    if transaction_id is not None:
        return sessions.filter(transaction_id=transaction_id).first()
    return sessions.filter(
        connector__connector_id=connector_id,
        id_tag=id_tag,
        meter_start_wh=meter_start_wh,
        started_at=started_at,
    ).first()


def _close_superseded_sessions(connector: Connector, started_at: datetime) -> None:
    """A new start on a connector ends any session the station forgot to stop."""
    for stale in connector.sessions.filter(state=ChargingSession.State.ACTIVE):
        stale.state = ChargingSession.State.ENDED
        stale.ended_at = max(started_at, stale.started_at)
        stale.meter_stop_wh = stale.meter_last_wh
        stale.stop_reason = "Superseded"
        stale.add_flag("closed_by_new_start")
        stale.save()
        events.publish("session.ended", connector.station_id, _session_event(stale))


def session_find(*, station_pk: int, transaction_id: str | None) -> ChargingSession | None:
    if transaction_id is None:
        return None
    return ChargingSession.objects.filter(
        station_id=station_pk, transaction_id=transaction_id
    ).first()


@transaction.atomic
def meter_values_record(
    *,
    station_pk: int,
    connector_id: int,
    transaction_id: str | None,
    samples: list[Sample],
    session: ChargingSession | None = None,
) -> ChargingSession | None:
    """Store samples in bulk; a replay inserts nothing twice; an ended session stays ended."""
    session = session or session_find(station_pk=station_pk, transaction_id=transaction_id)
    if session is None and transaction_id is None and connector_id:
        session = ChargingSession.objects.filter(
            station_id=station_pk,
            connector__connector_id=connector_id,
            state=ChargingSession.State.ACTIVE,
        ).first()
    MeterSample.objects.bulk_create(
        [
            MeterSample(
                station_id=station_pk,
                connector_id=connector_id,
                session=session,
                timestamp=s.timestamp,
                measurand=s.measurand,
                phase=s.phase,
                location=s.location,
                context=s.context,
                value=s.value,
                unit=s.unit,
            )
            for s in samples
        ],
        ignore_conflicts=True,
    )
    if session is None:
        return None
    session = ChargingSession.objects.select_for_update().get(pk=session.pk)
    if session.state == ChargingSession.State.ENDED:
        session.add_flag("meter_values_after_stop")
        session.save(update_fields=["flags", "updated_at"])
        return session
    _apply_readings(session, samples)
    session.save()
    events.publish("session.updated", station_pk, _session_event(session))
    return session


def _apply_readings(session: ChargingSession, samples: list[Sample]) -> None:
    reading = energy_reading_wh(samples)
    if reading is not None:
        if session.meter_last_wh is not None and reading < session.meter_last_wh:
            session.add_flag("meter_backwards")
        else:
            session.meter_last_wh = reading
            session.energy_wh = max(0, reading - session.meter_start_wh)
    power = power_reading_w(samples)
    if power is not None:
        session.power_w = power


@transaction.atomic
def session_stop(
    *,
    station_pk: int,
    transaction_id: str | None,
    meter_stop_wh: int | None,
    timestamp: datetime | None,
    reason: str = "",
    id_tag: str = "",
    samples: list[Sample] | None = None,
) -> ChargingSession:
    """End a session; an unknown transaction is recorded as an ended, flagged session."""
    now = timezone.now()
    ended_at = timestamp if plausible_time(timestamp, now) else now
    session = session_find(station_pk=station_pk, transaction_id=transaction_id)
    if session is None:
        session = _record_unknown_stop(station_pk, transaction_id, ended_at, meter_stop_wh)
    session = ChargingSession.objects.select_for_update().get(pk=session.pk)
    if samples:
        meter_values_record(
            station_pk=station_pk,
            connector_id=session.connector.connector_id if session.connector else 0,
            transaction_id=session.transaction_id,
            samples=samples,
            session=session,
        )
        session.refresh_from_db()
    if session.state == ChargingSession.State.ENDED:
        return session  # a replayed stop changes nothing
    session.state = ChargingSession.State.ENDED
    session.ended_at = max(ended_at, session.started_at)
    if ended_at is not timestamp:
        session.add_flag("stop_time_implausible")
    session.stop_reason = reason or "Local"
    session.stop_id_tag = id_tag
    session.power_w = None
    if meter_stop_wh is None:
        meter_stop_wh = session.meter_last_wh
    session.meter_stop_wh = meter_stop_wh
    if meter_stop_wh is not None:
        if meter_stop_wh < session.meter_start_wh:
            session.add_flag("meter_stop_below_start")
        session.energy_wh = max(0, meter_stop_wh - session.meter_start_wh)
        session.meter_last_wh = meter_stop_wh
    session.save()
    events.publish("session.ended", station_pk, _session_event(session))
    return session


def _record_unknown_stop(station_pk, transaction_id, ended_at, meter_stop_wh) -> ChargingSession:
    """Keep a stop for a transaction ChargeNet never saw (offline start, id -1)."""
    reported = str(transaction_id) if transaction_id is not None else ""
    existing = ChargingSession.objects.filter(
        station_id=station_pk,
        transaction_id=None,
        reported_transaction_id=reported,
        ended_at=ended_at,
    ).first()
    if existing:
        return existing
    logger.warning("Stop for unknown transaction %r on station %s", reported, station_pk)
    return ChargingSession.objects.create(
        station_id=station_pk,
        reported_transaction_id=reported,
        started_at=ended_at,
        meter_start_wh=meter_stop_wh or 0,
        meter_last_wh=meter_stop_wh,
        flags=["unknown_transaction"],
    )


def _session_event(session: ChargingSession) -> dict:
    return {
        "session": session.pk,
        "connector": session.connector.connector_id if session.connector_id else None,
        "transaction_id": session.transaction_id,
        "state": session.state,
        "energy_wh": session.energy_wh,
        "power_w": session.power_w,
    }


def message_log_prune(*, older_than_days: int | None = None) -> int:
    """Delete frames older than the retention period, in batches; return how many."""
    days = older_than_days if older_than_days is not None else settings.OCPP_MESSAGE_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            OcppMessage.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:5000]
        )
        if not ids:
            return deleted
        deleted += OcppMessage.objects.filter(pk__in=ids).delete()[0]
