"""What stations report about themselves and their connectors: status notifications,
the connectors of EVSEs (created on first sight), and notifications an operator
should see (firmware, diagnostics, logs, security, reservations, vendor data).

Every stored status change is published twice: `connector.status` for the live pages
and webhooks, and CONNECTOR_STATUS_RECORDED (stations/events.py) for subscribers that
keep a status history inside the same transaction (billing, for idle fees).
"""

from datetime import datetime
from functools import partial
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from runtime import sql
from stations import events
from stations.metering import plausible_time
from stations.models import ChargingStation, Connector, StationEvent
from stations.services import first_reports, reconcile, reservations

# Connector statuses that mean a vehicle is plugged in or a session is under way.
OCCUPIED_STATUSES = frozenset(
    {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"}
)
# Notifications whose status the station row keeps, by kind.
_STATUS_FIELDS = {
    "FirmwareStatus": "firmware_status",
    "DiagnosticsStatus": "diagnostics_status",
    "LogStatus": "log_status",
}


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

    A repeat (a reconnecting station re-reports every connector) is no news: one read
    finds it, and nothing is written or published. A new station's first reports after
    its boot skip that read (stations/services/first_reports.py).
    """
    store = partial(
        _status_store,
        station_pk=station_pk,
        connector_id=connector_id,
        error_code=error_code,
        info=info,
        vendor_error_code=vendor_error_code,
        timestamp=timestamp,
        evse_id=evse_id,
        evse_connector_id=evse_connector_id,
        occupied=occupied,
    )
    reported = (evse_id, evse_connector_id or 1) if evse_id else connector_id
    if first_reports.likely(station_pk, reported) and store(status=status, first_report=True):
        return
    station_wide = not evse_id and connector_id == 0
    current = _status_now(station_pk, connector_id, evse_id, evse_connector_id)
    if current is not None:
        if station_wide:
            report = (status, error_code)
        else:
            if occupied:
                status = current[0] if current[0] in OCCUPIED_STATUSES else "Preparing"
            report = (status, error_code, info, vendor_error_code)
        if current == report:
            return
    # Nothing reported before: a connector not seen yet, a station's status never set.
    first_report = current is None or not current[0]
    if not store(status=status, first_report=first_report):
        store(status=status)  # the station's status was set meanwhile


def _status_now(
    station_pk: int, connector_id: int, evse_id: int | None, evse_connector_id: int | None
) -> tuple | None:
    """What the station or connector last reported, None for a connector not seen yet:
    (status, error code) of the station, (status, error code, info, vendor error code)
    of a connector. Plain SQL: every reconnecting station asks it for every connector."""
    if evse_id:
        where, params = "evse_id = %s AND evse_connector_id = %s", [evse_id, evse_connector_id or 1]
    elif connector_id:
        where, params = "connector_id = %s", [connector_id]
    else:
        return sql.fetch_one(
            f"SELECT status, error_code FROM {sql.table(ChargingStation)} WHERE id = %s",
            [station_pk],
        )
    return sql.fetch_one(
        f"SELECT status, error_code, info, vendor_error_code FROM {sql.table(Connector)}"
        f" WHERE station_id = %s AND {where}",
        [station_pk, *params],
    )


def _status_store(
    *,
    station_pk: int,
    connector_id: int,
    status: str,
    error_code: str,
    info: str,
    vendor_error_code: str,
    timestamp: datetime | None,
    evse_id: int | None,
    evse_connector_id: int | None,
    occupied: bool,
    first_report: bool = False,
) -> bool:
    """Whether it stored (or found a repeat): the station's first status is stored
    only if it has none yet."""
    now = timezone.now()
    since = timestamp if plausible_time(timestamp, now) else now
    if first_report and not evse_id:
        report = {
            "status": "Preparing" if occupied else status,
            "error_code": error_code,
            "info": info,
            "vendor_error_code": vendor_error_code,
            "status_since": since,
        }
        stored = _first_report_store(station_pk, connector_id, report, now, since is timestamp)
        if stored is not None:
            return stored
    return _status_write(
        station_pk=station_pk,
        connector_id=connector_id,
        status=status,
        error_code=error_code,
        info=info,
        vendor_error_code=vendor_error_code,
        evse_id=evse_id,
        evse_connector_id=evse_connector_id,
        occupied=occupied,
        first_report=first_report,
        now=now,
        since=since,
        station_clock=since is timestamp,
    )


def _first_report_store(
    station_pk: int, connector_id: int, report: dict, now: datetime, station_clock: bool
) -> bool | None:
    """A first report in one round trip instead of a transaction's four: the station's
    status or the connector's insert, with the subscribers' statements (billing's
    first status period, `events.joined`), as one transaction.

    Whether it stored (False: the station's status was set meanwhile); None: to be
    written the usual way (the connector exists after all, or a subscriber has no
    statement).
    """
    status, since = report["status"], report["status_since"]
    data = _recorded(connector_id, status, since, report["error_code"], now, station_clock, True)
    parts = events.joined(events.CONNECTOR_STATUS_RECORDED, station_pk, data)
    if parts is None:
        return None
    if connector_id == 0:
        write = (
            f"UPDATE {sql.table(ChargingStation)} SET status = %s, error_code = %s,"
            " status_since = %s, last_seen = %s WHERE id = %s AND status = ''",
            [status, report["error_code"], sql.moment(since), sql.moment(now), station_pk],
        )
    else:
        write = _connector_insert(station_pk, connector_id, report)
    (done,), joined = events.send_joined([write], parts)
    if connector_id == 0 and not done.rowcount:
        return False
    if connector_id:
        if done.row is None:
            return None
        _connector_created(done.row[0], station_pk, connector_id, report)
    _status_published(station_pk, data, report["error_code"], joined=joined)
    return True


@transaction.atomic
def _status_write(
    *,
    station_pk: int,
    connector_id: int,
    status: str,
    error_code: str,
    info: str,
    vendor_error_code: str,
    evse_id: int | None,
    evse_connector_id: int | None,
    occupied: bool,
    first_report: bool,
    now: datetime,
    since: datetime,
    station_clock: bool,
) -> bool:
    if not evse_id and connector_id == 0:
        stored = sql.execute(
            f"UPDATE {sql.table(ChargingStation)} SET status = %s, error_code = %s,"
            " status_since = %s, last_seen = %s WHERE id = %s"
            + (" AND status = ''" if first_report else ""),
            [status, error_code, sql.moment(since), sql.moment(now), station_pk],
        )
        if not stored:
            return False
    else:
        report = {
            "status": "Preparing" if occupied else status,
            "error_code": error_code,
            "info": info,
            "vendor_error_code": vendor_error_code,
        }
        if evse_id:
            connector, created = evse_connector(station_pk, evse_id, evse_connector_id)
            connector_id = connector.connector_id
        else:
            connector, created = _connector_take(
                station_pk, connector_id, report, since, first_sight=first_report
            )
        first_report = created
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
        report["status"] = status
        changed = {
            name: value for name, value in report.items() if getattr(connector, name) != value
        }
        if not created and not changed:
            return True  # a repeat (a reconnecting station re-reports every connector)
        if connector.status != status or (created and connector.status_since != since):
            changed["status_since"] = sql.moment(since)
        if changed:  # none for a connector created with the report (first sight)
            sql.execute(
                f"UPDATE {sql.table(Connector)} SET {', '.join(f'{n} = %s' for n in changed)}"
                " WHERE id = %s",
                [*changed.values(), connector.pk],
            )
    data = _recorded(connector_id, status, since, error_code, now, station_clock, first_report)
    _status_published(station_pk, data, error_code)
    return True


class _ConnectorNow(NamedTuple):
    """What a status report compares a connector with (the few columns, no model)."""

    pk: int
    status: str
    error_code: str
    info: str
    vendor_error_code: str
    status_since: datetime


_REPORTED = ("status", "error_code", "info", "vendor_error_code", "status_since")


def _connector_take(
    station_pk: int, connector_id: int, report: dict, since: datetime, *, first_sight: bool
) -> tuple[_ConnectorNow, bool]:
    """The station's connector, locked, and whether it was created now with `report`.

    Plain SQL: a burst of new stations creates one per connector, and the ORM's
    get_or_create (a savepoint and three statements) was a third of a first boot's
    CPU. On `first_sight` (no row a moment ago) the insert comes first. The created
    connector's `post_save` is sent as the model's save sends it.
    """
    table, columns = sql.table(Connector), ", ".join(_REPORTED)
    lock = sql.row_lock()
    select = f"SELECT id, {columns} FROM {table} WHERE station_id = %s AND connector_id = %s"
    if not first_sight:
        found = sql.fetch_one(select + lock, [station_pk, connector_id])
        if found is not None:
            return _ConnectorNow(*found), False
    values = {**report, "status_since": since}
    created = sql.fetch_one(*_connector_insert(station_pk, connector_id, values))
    if created is None:  # another socket of the station created it meanwhile
        return _ConnectorNow(*sql.fetch_one(select + lock, [station_pk, connector_id])), False
    _connector_created(created[0], station_pk, connector_id, values)
    return _ConnectorNow(created[0], *(values[name] for name in _REPORTED)), True


def _connector_insert(station_pk: int, connector_id: int, values: dict) -> tuple[str, list]:
    """The connector with its first report (`_REPORTED`), unless it exists; its id."""
    return (
        f"INSERT INTO {sql.table(Connector)} (station_id, connector_id, {', '.join(_REPORTED)})"
        f" VALUES (%s, %s, {', '.join(['%s'] * len(_REPORTED))})"
        " ON CONFLICT (station_id, connector_id) DO NOTHING RETURNING id",
        [
            station_pk,
            connector_id,
            *(values[name] for name in _REPORTED[:-1]),
            sql.moment(values["status_since"]),
        ],
    )


def _connector_created(pk: int, station_pk: int, connector_id: int, values: dict) -> None:
    """Send the created connector's `post_save` as the model's save sends it."""
    instance = Connector(pk=pk, station_id=station_pk, connector_id=connector_id, **values)
    post_save.send(
        Connector,
        instance=instance,
        created=True,
        update_fields=None,
        raw=False,
        using=connection.alias,
    )


def connector_status_follow(
    connector: Connector, status: str, at: datetime | None = None, *, inferred: bool = False
) -> None:
    """A transaction event moved the connector to `status` (a new one) at `at`, the
    event's own time (None: now); the error code it reported last stays, and the status
    history records none. `inferred`: the station did not say so, ChargeNet assumes it
    (Finishing after a 2.x transaction ends with the car plugged in)."""
    now = timezone.now()
    connector.status, connector.status_since = status, at or now
    connector.save(update_fields=["status", "status_since"])
    data = _recorded(
        connector.connector_id, status, connector.status_since, "", now, at is not None
    )
    _status_published(connector.station_id, {**data, "inferred": inferred}, connector.error_code)


def connector_status_history(connector: Connector, status: str, at: datetime) -> None:
    """A late transaction event (an older one replayed after a newer one) says the
    connector was in `status` from `at`: for the status history only, the connector keeps
    what the newest event said."""
    events.publish(
        events.CONNECTOR_STATUS_RECORDED,
        connector.station_id,
        {
            "connector": connector.connector_id,
            "status": status,
            "at": at,
            "error_code": "",
            "received_at": timezone.now(),
            "station_clock": True,
        },
        live=False,
    )


def _recorded(
    connector_id: int,
    status: str,
    since: datetime,
    error_code: str,
    received_at: datetime,
    station_clock: bool,
    first_report: bool = False,
) -> dict:
    """What CONNECTOR_STATUS_RECORDED says of a stored status."""
    return {
        "connector": connector_id,
        "status": status,
        "at": since,
        "error_code": error_code,
        "received_at": received_at,
        "station_clock": station_clock,
        "inferred": False,
        "first_report": first_report,
    }


def _status_published(
    station_pk: int, recorded: dict, error_code: str, joined: list | None = None
) -> None:
    """`recorded` for the status history, and the status with `error_code` (the
    connector's, where the history records none) for the live pages."""
    events.publish(
        events.CONNECTOR_STATUS_RECORDED, station_pk, recorded, live=False, joined=joined
    )
    events.publish(
        "connector.status",
        station_pk,
        {
            "connector": recorded["connector"],
            "status": recorded["status"],
            "error_code": error_code,
        },
    )


def evse_connector(
    station_pk: int, evse_id: int, evse_connector_id: int | None
) -> tuple[Connector, bool]:
    """The connector of an EVSE, locked, and whether it was created (on first sight).

    Runs in the transaction of the write it serves: a write that fails leaves no
    connector behind. Its station-wide number is the EVSE id when the EVSE has one
    connector (the common case); an operator's connector of that number that names no
    EVSE yet is taken over.
    """
    evse_connector_id = evse_connector_id or 1
    connectors = Connector.objects.select_for_update(no_key=True).filter(station_id=station_pk)
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
    status_field = _STATUS_FIELDS.get(kind)
    if status_field:
        ChargingStation.objects.filter(pk=station_pk).update(**{status_field: status})
    if kind == "ReservationStatus":
        reservations.reservation_status_apply(station_pk=station_pk, data=data or {})
    events.publish(
        events.STATION_EVENT_RECORDED,
        station_pk,
        {"kind": kind, "status": status, "data": data or {}},
        live=False,
    )
    return event
