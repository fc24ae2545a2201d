"""Version-neutral station business logic: the only code that writes station state.

Every function is synchronous and transactional; OCPP adapters call them through
`database_sync_to_async`. They take plain values (never OCPP payloads) and return
plain results the adapters translate back into their version's words.

Sanity problems in transaction data (meter going backwards, clocks in 1970, unknown
transaction ids, late meter values) are recorded as flags and always answered: a
CallError on a transaction message makes the station retry it for ever.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.services import session_price_later, status_history_record
from stations import events
from stations.metering import (
    Sample,
    energy_reading_wh,
    plausible_time,
    power_reading_w,
    register_readings_wh,
)
from stations.models import (
    ChargingSession,
    ChargingStation,
    Command,
    Connector,
    DeviceModelVariable,
    IdToken,
    MeterSample,
    StationEvent,
)
from stations.services import load_management, reconcile, reservations
from stations.writers.bulk import rows_write
from webhooks import dispatch as webhooks

logger = logging.getLogger(__name__)

# Authorization answers, in OCPP words; adapters map UNKNOWN where a version lacks it.
ACCEPTED, BLOCKED, EXPIRED, INVALID, CONCURRENT_TX, UNKNOWN = (
    "Accepted",
    "Blocked",
    "Expired",
    "Invalid",
    "ConcurrentTx",
    "Unknown",
)
# Connector statuses that mean a vehicle is plugged in or a session is under way.
OCCUPIED_STATUSES = frozenset(
    {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"}
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
    parent_type: str | None = None


@dataclass(frozen=True)
class StartResult:
    session: ChargingSession
    authorization: Authorization


# --- connection -------------------------------------------------------------------


def all_in_one_transaction(*, station_pk: int, calls: list[tuple[Callable, dict]]) -> None:
    """Several service calls of one message, all or nothing (a refused frame leaves
    none of them behind)."""
    with transaction.atomic():
        for service, kwargs in calls:
            service(station_pk=station_pk, **kwargs)


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


def stations_mark_offline() -> int:
    """Mark every station offline (a sole server starting holds no sockets yet)."""
    return ChargingStation.objects.filter(connected=True).update(
        connected=False, connection_channel=""
    )


def station_touch(*, station_pk: int) -> None:
    ChargingStation.objects.filter(pk=station_pk).update(last_seen=timezone.now())


# --- boot, heartbeat, status ------------------------------------------------------


BOOT_FIELDS = [
    "vendor",
    "model",
    "serial_number",
    "firmware_version",
    "iccid",
    "imsi",
    "meter_type",
    "meter_serial_number",
    "last_boot_at",
    "last_seen",
]


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
    station.save(update_fields=BOOT_FIELDS)
    # A station that boots again has lost what it was doing: sessions it does not
    # continue (replayed stops, new events) within the grace are closed (reconcile).
    reconcile.sessions_mark_suspect(station_pk=station_pk, reason=reconcile.REASON_REBOOT, now=now)
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
    connector_id: int = 0,
    status: str,
    error_code: str = "NoError",
    info: str = "",
    vendor_error_code: str = "",
    timestamp: datetime | None = None,
    evse_id: int | None = None,
    evse_connector_id: int | None = None,
    occupied: bool = False,
) -> None:
    """Store a status report; connector 0 is the station as a whole.

    A station that numbers EVSEs names the connector by `evse_id` (and the connector
    on it) instead of `connector_id`: it is found, or created on first sight, in this
    transaction, so a report that fails leaves no connector behind.
    `occupied` reports a plug in use without saying what it does: the connector keeps
    an occupied status it already has (Charging, SuspendedEV, ...), else Preparing.
    """
    now = timezone.now()
    since = timestamp if plausible_time(timestamp, now) else now
    if not evse_id and connector_id == 0:
        ChargingStation.objects.filter(pk=station_pk).update(
            status=status, error_code=error_code, status_since=since, last_seen=now
        )
    else:
        if evse_id:
            connector, created = _evse_connector(station_pk, evse_id, evse_connector_id)
            connector_id = connector.connector_id
        else:
            connector, created = Connector.objects.select_for_update().get_or_create(
                station_id=station_pk,
                connector_id=connector_id,
                defaults={"status": status, "status_since": since},
            )
        if occupied:
            status = connector.status if connector.status in OCCUPIED_STATUSES else "Preparing"
        # Available again after being occupied: a session still open there may be stuck.
        # Available repeated is no news: a 2.0.1 transaction may start before the cable
        # is plugged in (TxStartPoint Authorized) while the connector stays Available.
        if status == "Available" and not created and connector.status != status:
            reconcile.sessions_mark_suspect(
                station_pk=station_pk,
                connector_id=connector_id,
                reason=reconcile.REASON_AVAILABLE,
                now=now,
            )
        report = {
            "status": status,
            "error_code": error_code,
            "info": info,
            "vendor_error_code": vendor_error_code,
        }
        if not created and all(getattr(connector, k) == v for k, v in report.items()):
            return  # a repeat (a reconnecting station re-reports every connector): no news
        changed = [name for name, value in report.items() if getattr(connector, name) != value]
        if created or connector.status != status:
            connector.status_since = since
            changed.append("status_since")
        for name, value in report.items():
            setattr(connector, name, value)
        connector.save(update_fields=changed)
    status_history_record(
        station_pk=station_pk,
        connector_id=connector_id,
        status=status,
        at=since,
        error_code=error_code,
    )
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
    if kind == "ReservationStatus":
        reservations.reservation_status_apply(station_pk=station_pk, data=data or {})
    return event


# --- authorization ----------------------------------------------------------------


def token_find(value: str, *, parent: bool = False) -> IdToken | None:
    """The token with that value; OCPP compares id tokens without regard to case."""
    if not value:
        return None
    tokens = IdToken.objects.select_related("parent") if parent else IdToken.objects
    return tokens.filter(value__iexact=value).first()


def id_token_authorize(
    *, value: str, station_pk: int | None = None, for_start: bool = False
) -> Authorization:
    """Answer whether a token may charge; ConcurrentTx if it is charging elsewhere."""
    token = token_find(value, parent=True)
    if token is None:
        return Authorization(UNKNOWN)
    status = _TOKEN_STATUS[token.effective_status()]
    parent = token.parent.value if token.parent else None
    parent_type = token.parent.type if token.parent else None
    if status == ACCEPTED and not for_start:
        busy = ChargingSession.objects.filter(
            id_token=token, state=ChargingSession.State.ACTIVE
        ).exists()
        if busy:
            status = CONCURRENT_TX
    return Authorization(status, token.expires_at, parent, parent_type)


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
        id_token=token_find(id_tag),
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
    authorization = reservations.reservation_session_start(session, authorization)
    session.save()
    _link_remote_start(session)
    load_management.session_changed(session)
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
        session_price_later(session_pk=stale.pk)
        events.publish("session.ended", connector.station_id, _session_event(stale))


def session_find(
    *, station_pk: int, transaction_id: str | None, lock: bool = False
) -> ChargingSession | None:
    """The station's session with that transaction id (locked for update if asked)."""
    if transaction_id is None:
        return None
    sessions = ChargingSession.objects.select_related("connector")
    if lock:
        sessions = sessions.select_for_update(of=("self",))
    return sessions.filter(station_id=station_pk, transaction_id=transaction_id).first()


def _store_samples(station_pk, connector_id, session, samples) -> None:
    """One INSERT for all samples; the unique constraint drops replayed ones."""
    MeterSample.objects.bulk_create(
        _sample_rows(station_pk, connector_id, session, samples), ignore_conflicts=True
    )


def _sample_rows(station_pk, connector_id, session, samples) -> list[MeterSample]:
    return [
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
    ]


@transaction.atomic
def meter_values_record(
    *,
    station_pk: int,
    connector_id: int,
    transaction_id: str | None,
    samples: list[Sample],
    session: ChargingSession | None = None,
) -> ChargingSession | None:
    """Store samples in bulk; a replay inserts nothing twice; an ended session stays ended.

    `session`, when given, is already locked by the caller.
    """
    if session is None:
        session = session_find(station_pk=station_pk, transaction_id=transaction_id, lock=True)
    if session is None and transaction_id is None and connector_id:
        session = (
            ChargingSession.objects.select_related("connector")
            .select_for_update(of=("self",))
            .filter(
                station_id=station_pk,
                connector__connector_id=connector_id,
                state=ChargingSession.State.ACTIVE,
            )
            .first()
        )
    _store_samples(station_pk, connector_id, session, samples)
    if session is None:
        return None
    if session.state == ChargingSession.State.ENDED:
        session.add_flag("meter_values_after_stop")
        session.save(update_fields=["flags", "updated_at"])
        return session
    _apply_readings(session, samples)
    # Readings without a transaction id say what the meter reads, not that the station
    # still runs the transaction.
    if transaction_id is not None:
        reconcile.session_continued(session)
    session.save()
    events.publish("session.updated", station_pk, _session_event(session))
    return session


@dataclass(frozen=True)
class MeterValuesIn:
    """One MeterValues message, version-neutral.

    A station that numbers EVSEs names the connector by `evse_id` (and the connector
    on it) instead of `connector_id`: it is resolved, and created on first sight, in
    the transaction that stores the readings.
    """

    station_pk: int
    connector_id: int
    transaction_id: str | None
    samples: list[Sample]
    evse_id: int | None = None
    evse_connector_id: int | None = None

    @property
    def evse(self) -> tuple[int, int, int] | None:
        """(station, EVSE, connector on it) when the message names an EVSE."""
        if not self.evse_id:
            return None
        return (self.station_pk, self.evse_id, self.evse_connector_id or 1)


#: What a MeterValues message may change on its session.
_METER_FIELDS = (
    "meter_last_wh",
    "energy_wh",
    "power_w",
    "flags",
    "reconcile_after",
    "reconcile_reason",
    "updated_at",
)


@transaction.atomic
def meter_values_record_many(*, messages: list[MeterValuesIn]) -> None:
    """`meter_values_record` for many messages at once: a handful of queries in all.

    The sessions are locked in primary-key order (one query), every sample goes in
    one INSERT and every changed session in one UPDATE, so many stations' readings
    share one transaction (stations/writers/meter_writer.py).
    """
    by_transaction, by_connector, evse_numbers = _lock_meter_sessions(messages)
    rows: list[tuple] = []
    changed: dict[int, ChargingSession] = {}
    for message in messages:
        connector_id = evse_numbers[message.evse] if message.evse else message.connector_id
        if message.transaction_id is not None:
            session = by_transaction.get((message.station_pk, message.transaction_id))
        else:
            session = by_connector.get((message.station_pk, connector_id))
        session_pk = session.pk if session is not None else None
        rows.extend(
            (
                message.station_pk,
                connector_id,
                session_pk,
                s.timestamp,
                s.measurand,
                s.phase,
                s.location,
                s.context,
                s.value,
                s.unit,
            )
            for s in message.samples
        )
        if session is None:
            continue
        if session.state == ChargingSession.State.ENDED:
            session.add_flag("meter_values_after_stop")
        else:
            _apply_readings(session, message.samples)
            if message.transaction_id is not None:
                reconcile.session_continued(session)
        changed[session.pk] = session
    rows_write(MeterSample, _SAMPLE_FIELDS, rows, conflict_free=True)
    if not changed:
        return
    now = timezone.now()
    for session in changed.values():
        session.updated_at = now
    rows_write(
        ChargingSession,
        (*_METER_FIELDS, "id"),
        [[getattr(s, name) for name in (*_METER_FIELDS, "id")] for s in changed.values()],
        update=True,
    )
    for session in changed.values():
        if session.state != ChargingSession.State.ENDED:
            events.publish("session.updated", session.station_id, _session_event(session))


_SAMPLE_FIELDS = (
    "station",
    "connector_id",
    "session",
    "timestamp",
    "measurand",
    "phase",
    "location",
    "context",
    "value",
    "unit",
)


def _lock_meter_sessions(messages: list[MeterValuesIn]):
    """The sessions the messages name, locked: by (station, transaction id) and, for
    messages without a transaction id, the active one by (station, connector number);
    and the connector numbers of the EVSEs messages name, by (station, EVSE, connector
    on it), their connectors created on first sight.

    An EVSE's connector comes with the active session on it (the same query): only
    EVSEs with no session under way cost a query more, one for the whole batch.
    """
    by_transaction = {(m.station_pk, m.transaction_id) for m in messages if m.transaction_id}
    by_connector = {
        (m.station_pk, m.connector_id)
        for m in messages
        if m.transaction_id is None and m.connector_id and not m.evse
    }
    by_evse = {m.evse for m in messages if m.transaction_id is None and m.evse}
    found_by_transaction, found_by_connector = _meter_sessions(
        by_transaction, by_connector, by_evse
    )
    evse_numbers = {}
    for session in (*found_by_transaction.values(), *found_by_connector.values()):
        connector = session.connector
        if connector is not None and connector.evse_id is not None:
            key = (session.station_id, connector.evse_id, connector.evse_connector_id)
            evse_numbers.setdefault(key, connector.connector_id)
    unseen = {m.evse for m in messages if m.evse} - evse_numbers.keys()
    if unseen:
        adopted = _evse_numbers_find(unseen, evse_numbers)
        # An operator's connector just taken over for an EVSE may have a session on it.
        late = {(key[0], evse_numbers[key]) for key in adopted & by_evse}
        if late:
            for key, session in _meter_sessions(set(), late, set())[1].items():
                found_by_connector.setdefault(key, session)
    return found_by_transaction, found_by_connector, evse_numbers


def _meter_sessions(by_transaction: set, by_connector: set, by_evse: set):
    """Locked sessions by (station, transaction id) and active ones by (station,
    connector number), these also for the (station, EVSE, connector on it) given."""
    if not by_transaction and not by_connector and not by_evse:
        return {}, {}
    active = ChargingSession.State.ACTIVE
    wanted = Q()
    for station_pk, transaction_id in by_transaction:
        wanted |= Q(station_id=station_pk, transaction_id=transaction_id)
    for station_pk, connector_id in by_connector:
        wanted |= Q(station_id=station_pk, connector__connector_id=connector_id, state=active)
    for station_pk, evse_id, evse_connector_id in by_evse:
        wanted |= Q(
            station_id=station_pk,
            connector__evse_id=evse_id,
            connector__evse_connector_id=evse_connector_id,
            state=active,
        )
    sessions = (
        ChargingSession.objects.select_related("connector")
        .select_for_update(of=("self",))
        .filter(wanted)
        .order_by("pk")
    )
    found_by_transaction, found_by_connector = {}, {}
    for session in sessions:
        found_by_transaction.setdefault((session.station_id, session.transaction_id), session)
        connector = session.connector
        if session.state == active and connector is not None:
            key = (session.station_id, connector.connector_id)
            evse = (session.station_id, connector.evse_id, connector.evse_connector_id)
            if key in by_connector or evse in by_evse:
                found_by_connector.setdefault(key, session)  # the oldest, as .first()
    return found_by_transaction, found_by_connector


def _evse_numbers_find(unseen: set, evse_numbers: dict) -> set:
    """Add the connector numbers of EVSEs no loaded session named (one query), creating
    the connectors of EVSEs never seen; returns the EVSEs whose connector an operator
    had created (taken over now)."""
    wanted = Q()
    for station_pk, evse_id, evse_connector_id in unseen:
        wanted |= Q(station_id=station_pk, evse_id=evse_id, evse_connector_id=evse_connector_id)
    for connector in Connector.objects.filter(wanted).order_by("pk"):
        key = (connector.station_id, connector.evse_id, connector.evse_connector_id)
        evse_numbers.setdefault(key, connector.connector_id)
    adopted = set()
    for key in sorted(unseen - evse_numbers.keys()):  # first sight: rare
        connector, created = _evse_connector(*key)
        evse_numbers[key] = connector.connector_id
        if not created:
            adopted.add(key)
    return adopted


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
    session = session_find(station_pk=station_pk, transaction_id=transaction_id, lock=True)
    if session is None:
        session = _record_unknown_stop(station_pk, transaction_id, ended_at, meter_stop_wh)
    if samples:
        connector_id = session.connector.connector_id if session.connector else 0
        _store_samples(station_pk, connector_id, session, samples)
    # A replayed stop changes nothing; the station's real stop of a session closed by
    # reconciliation replaces the estimate (end time, meter stop, reason, price).
    if session.state == ChargingSession.State.ENDED and not reconcile.late_stop_applies(session):
        return session
    reconcile.session_continued(session)
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
    session_price_later(session_pk=session.pk)
    load_management.session_changed(session)
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


# --- EVSEs, transaction events and the device model (stations that report them) -----


def _evse_connector(
    station_pk: int, evse_id: int, evse_connector_id: int | None
) -> tuple[Connector, bool]:
    """The connector of an EVSE, locked, and whether it was created (on first sight).

    Runs in the transaction of the write it serves: a write that fails leaves no
    connector behind. Its station-wide number is the EVSE id when the EVSE has one
    connector (the common case); an operator's connector of that number that names no
    EVSE yet is taken over.
    """
    evse_connector_id = evse_connector_id or 1
    connectors = Connector.objects.select_for_update().filter(station_id=station_pk)
    match = connectors.filter(evse_id=evse_id, evse_connector_id=evse_connector_id).first()
    if match:
        return match, False
    taken = set(connectors.values_list("connector_id", flat=True))
    number = evse_id if evse_connector_id == 1 else max(taken | {evse_id}) + 1
    existing = connectors.filter(connector_id=number, evse_id__isnull=True).first()
    if existing:  # created by an operator before the station reported its EVSEs
        existing.evse_id, existing.evse_connector_id = evse_id, evse_connector_id
        existing.save(update_fields=["evse_id", "evse_connector_id"])
        return existing, False
    if number in taken:
        number = max(taken) + 1
    connector = Connector.objects.create(
        station_id=station_pk,
        connector_id=number,
        evse_id=evse_id,
        evse_connector_id=evse_connector_id,
    )
    return connector, True


@dataclass(frozen=True)
class SessionEventIn:
    """One event of a session as the station numbered it (seq_no)."""

    event_type: str  # Started | Updated | Ended
    seq_no: int
    transaction_id: str
    timestamp: datetime | None
    trigger_reason: str = ""
    charging_state: str = ""
    connector_status: str = ""  # what the charging state means for the connector
    stopped_reason: str = ""
    offline: bool = False
    id_tag: str = ""
    connector_id: int | None = None
    # A station that numbers EVSEs names the connector by these instead (resolved, and
    # created on first sight, in the transaction that applies the event).
    evse_id: int | None = None
    evse_connector_id: int | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None
    samples: tuple[Sample, ...] = ()
    meter_start_wh: int | None = None  # the reading at the start, if the event has one
    meter_stop_wh: int | None = None  # the reading at the end, if the event has one


@dataclass(frozen=True)
class SessionEventResult:
    session: ChargingSession
    authorization: Authorization | None
    duplicate: bool


@transaction.atomic
def session_event_apply(*, station_pk: int, event: SessionEventIn) -> SessionEventResult:
    """Apply one transaction event; replays change nothing, late events fill gaps.

    Events can arrive twice (replay after reconnect) or out of order (queued offline).
    Each seq_no is applied once; state (charging state, connector status) follows only
    the newest event, while readings and the start/end facts of any event are kept.
    """
    now = timezone.now()
    moment = event.timestamp if plausible_time(event.timestamp, now) else now
    # The station row lock serialises a station's events, so the first event of a
    # transaction creates its session exactly once.
    ChargingStation.objects.select_for_update().filter(pk=station_pk).first()
    session = session_find(station_pk=station_pk, transaction_id=event.transaction_id)
    if session is None:
        session = _session_from_event(station_pk, event, moment)
    authorization = id_token_authorize(value=event.id_tag, for_start=True) if event.id_tag else None
    later = set(session.events.filter(seq_no__gte=event.seq_no).values_list("seq_no", flat=True))
    if event.seq_no in later:
        return SessionEventResult(session, authorization, duplicate=True)
    session.events.create(
        seq_no=event.seq_no,
        event_type=event.event_type,
        timestamp=moment,
        trigger_reason=event.trigger_reason,
        charging_state=event.charging_state,
        offline=event.offline,
        id_tag=event.id_tag,
    )
    is_newest = not later
    reconcile.session_continued(session)
    if (
        event.event_type == "Ended"
        and session.state == ChargingSession.State.ENDED
        and reconcile.late_stop_applies(session)
    ):
        session.meter_stop_wh = None  # the estimate gives way to what the station says
    if event.samples:
        connector_id = session.connector.connector_id if session.connector_id else 0
        _store_samples(station_pk, connector_id, session, event.samples)
    _apply_event(session, event, moment, is_newest)
    if moment is not event.timestamp and event.event_type in ("Started", "Ended"):
        session.add_flag(
            "stop_time_implausible" if event.event_type == "Ended" else "start_time_implausible"
        )
    if authorization and authorization.status != ACCEPTED and event.event_type == "Started":
        session.add_flag(f"token_{authorization.status.lower()}")
    if event.id_tag and event.event_type != "Ended":  # the token may come after the start
        authorization = reservations.reservation_session_start(session, authorization)
    session.save()
    if session.state == ChargingSession.State.ENDED and event.event_type == "Ended":
        session_price_later(session_pk=session.pk)
    if event.event_type in ("Started", "Ended"):
        load_management.session_changed(session)
    kind = {"Started": "session.started", "Ended": "session.ended"}.get(
        event.event_type, "session.updated"
    )
    events.publish(kind, station_pk, _session_event(session))
    return SessionEventResult(session, authorization, duplicate=False)


def _event_connector(station_pk: int, event: SessionEventIn) -> Connector | None:
    """The connector an event names (created on first sight), or None."""
    if event.evse_id:
        return _evse_connector(station_pk, event.evse_id, event.evse_connector_id)[0]
    if event.connector_id:
        return Connector.objects.get_or_create(
            station_id=station_pk, connector_id=event.connector_id
        )[0]
    return None


def _session_from_event(station_pk: int, event: SessionEventIn, moment: datetime):
    connector = _event_connector(station_pk, event)
    if connector is not None:
        _close_superseded_sessions(connector, moment)
    session = ChargingSession.objects.create(
        station_id=station_pk,
        connector=connector,
        transaction_id=event.transaction_id,
        id_tag=event.id_tag,
        id_token=token_find(event.id_tag),
        started_at=moment,
        meter_start_wh=0,
    )
    if event.event_type != "Started":
        session.add_flag("started_event_missing")
    return session


def _apply_event(session, event: SessionEventIn, moment: datetime, is_newest: bool) -> None:
    if event.id_tag and not session.id_tag:
        session.id_tag = event.id_tag
        session.id_token = token_find(event.id_tag)
    if event.remote_start_id is not None and session.remote_start_id is None:
        session.remote_start_id = event.remote_start_id
        _link_remote_start(session)
    if event.reservation_id is not None:
        session.reservation_id = event.reservation_id
    if session.connector_id is None:
        session.connector = _event_connector(session.station_id, event)
    if event.id_tag and (event.event_type == "Ended" or event.trigger_reason == "StopAuthorized"):
        session.stop_id_tag = event.id_tag
    if event.event_type == "Started":
        session.started_at = min(session.started_at, moment)
        if "started_event_missing" in session.flags:
            session.flags = [f for f in session.flags if f != "started_event_missing"]
    if event.event_type == "Ended":
        session.state = ChargingSession.State.ENDED
        session.ended_at = max(moment, session.started_at)
        session.stop_reason = event.stopped_reason or "Local"
        session.power_w = None
    _apply_event_readings(session, event, is_newest)
    if is_newest and session.state == ChargingSession.State.ACTIVE:
        if event.charging_state:
            session.charging_state = event.charging_state
        power = power_reading_w(list(event.samples))
        if power is not None:
            session.power_w = power
    if is_newest and session.connector_id:
        _connector_follows_event(session, event)


def _apply_event_readings(session: ChargingSession, event: SessionEventIn, is_newest: bool) -> None:
    """Start, latest and end register readings, whatever order events arrive in."""
    readings = register_readings_wh(list(event.samples))
    if event.meter_start_wh is not None:
        session.meter_start_wh = event.meter_start_wh
        session.flags = [f for f in session.flags if f != "meter_start_estimated"]
    elif readings and (session.meter_last_wh is None or "meter_start_estimated" in session.flags):
        # Never take 0 as the start when the station sent no start reading (an
        # offline Transaction.Begin=0 would bill the meter's lifetime total).
        first = readings[0]
        if session.meter_last_wh is None or first < session.meter_start_wh:
            session.meter_start_wh = first
        session.add_flag("meter_start_estimated")
    if readings and (is_newest or session.meter_last_wh is None):
        session.meter_last_wh = readings[-1]
    if event.meter_stop_wh is not None:
        session.meter_stop_wh = event.meter_stop_wh
    elif session.state == ChargingSession.State.ENDED and session.meter_stop_wh is None:
        session.meter_stop_wh = session.meter_last_wh
    end = session.meter_stop_wh if session.meter_stop_wh is not None else session.meter_last_wh
    if end is not None:
        if end < session.meter_start_wh:
            session.add_flag("meter_stop_below_start")
        session.energy_wh = max(0, end - session.meter_start_wh)


def _connector_follows_event(session: ChargingSession, event: SessionEventIn) -> None:
    connector = session.connector
    status = event.connector_status
    if event.event_type == "Ended":
        status = "Finishing" if connector.status in OCCUPIED_STATUSES else ""
    if status and status != connector.status:
        connector.status, connector.status_since = status, timezone.now()
        connector.save(update_fields=["status", "status_since"])
        status_history_record(
            station_pk=session.station_id,
            connector_id=connector.connector_id,
            status=status,
            at=connector.status_since,
        )
        events.publish(
            "connector.status",
            session.station_id,
            {
                "connector": connector.connector_id,
                "status": status,
                "error_code": connector.error_code,
            },
        )


def device_model_report(*, station_pk: int, variables: list[dict]) -> int:
    """Upsert reported variable attributes; each dict holds DeviceModelVariable fields."""
    now = timezone.now()
    rows = [
        DeviceModelVariable(station_id=station_pk, updated_at=now, **fields) for fields in variables
    ]
    DeviceModelVariable.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=[
            "station",
            "component",
            "component_instance",
            "evse_id",
            "connector_id",
            "variable",
            "variable_instance",
            "attribute_type",
        ],
        # A row that carries only a value (an event) keeps what a report said.
        update_fields=[
            "value",
            "updated_at",
            *(f for f in ("mutability", "data_type", "unit") if all(f in v for v in variables)),
        ],
    )
    return len(rows)


# --- commands ---------------------------------------------------------------------

REMOTE_START_WINDOW = timedelta(minutes=10)


def _link_remote_start(session: ChargingSession) -> None:
    """Tie a session to the remote start that led to it.

    With a remote start id (2.0.1) the match is exact; otherwise it is the latest
    accepted remote start on that station for that token (1.6 gives no id back).
    """
    commands = Command.objects.filter(
        station_id=session.station_id, action="remote_start", session__isnull=True
    )
    if session.remote_start_id is not None:
        commands = commands.filter(pk=session.remote_start_id)
    else:
        commands = commands.filter(
            status=Command.Status.ACCEPTED,
            params__id_tag=session.id_tag,
            created_at__gte=session.started_at - REMOTE_START_WINDOW,
        )
    command = commands.order_by("-created_at").first()
    if command:
        command.session = session
        command.save(update_fields=["session"])


def command_finish(
    *,
    command_id: int,
    status: str,
    response: dict | None = None,
    error: dict | None = None,
    ocpp_action: str = "",
) -> bool:
    """Store a command's outcome once; a later report of the same command is ignored."""
    finished = bool(
        Command.objects.filter(pk=command_id, status=Command.Status.PENDING).update(
            status=status,
            response=response,
            error=error,
            ocpp_action=ocpp_action,
            finished_at=timezone.now(),
        )
    )
    if finished:  # webhooks (issue 9): command.finished, not a live dashboard event
        webhooks.emit("command.finished", {"command": command_id, "status": status})
    return finished


@transaction.atomic
def session_soft_stop(
    *, session_id: int, reason: str = "SoftStop", ended_at: datetime | None = None
) -> ChargingSession:
    """End a session the station lost, with what was measured (at `ended_at`, default
    now); sends nothing."""
    session = ChargingSession.objects.select_for_update().get(pk=session_id)
    if session.state == ChargingSession.State.ENDED:
        return session
    last = session.meter_last_wh
    session.state = ChargingSession.State.ENDED
    session.ended_at = max(ended_at or timezone.now(), session.started_at)
    session.stop_reason = reason
    session.meter_stop_wh = last
    session.energy_wh = max(0, last - session.meter_start_wh) if last is not None else 0
    session.power_w = None
    session.add_flag("soft_stopped")
    session.save()
    session_price_later(session_pk=session.pk)
    load_management.session_changed(session)
    events.publish("session.ended", session.station_id, _session_event(session))
    return session
