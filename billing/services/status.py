"""Connector status history: one period per status, for idle fees and fault counts.

Times are the station's own: a period starts at the report's timestamp (1.6
StatusNotification, 2.0.1 StatusNotification or TransactionEvent, offline replays
included) and only where a station sent none, or an implausible one, at the time
ChargeNet received it. Reports delivered late, after a connection loss, are placed in
the history where their own time puts them, so the idle time they describe is billed.
"""

from datetime import datetime

from django.db import transaction

from billing.models import ConnectorStatusPeriod
from billing.pricing import IDLE_STATUSES
from billing.services.sessions import session_price_later
from runtime import sql
from stations.models import ChargingSession


@transaction.atomic(savepoint=False)  # all or nothing with its caller's transaction
def status_history_record(
    *,
    station_pk: int,
    connector_id: int,
    status: str,
    at: datetime,
    error_code: str = "",
    received_at: datetime | None = None,
    station_clock: bool = False,
    inferred: bool = False,
) -> ConnectorStatusPeriod:
    """Record that the connector was in `status` from `at` on; a repeated status is a no-op.

    At or after the open period's start: close it at `at` and open the new one. Before
    it (a late report): split the period that was in force at `at`, so the new one
    lasts until the next known change. Any change touching an idle status re-prices
    the connector's ended session it concerns: its idle fee has changed.
    """
    current = _open_period(station_pk, connector_id)
    fields = {
        "error_code": error_code,
        "received_at": received_at,
        "station_clock": station_clock,
        "inferred": inferred,
    }
    if current is not None and at < current.started_at:
        periods = ConnectorStatusPeriod.objects.select_for_update(no_key=True).filter(
            station_id=station_pk, connector_id=connector_id
        )
        return _record_late(periods, status, at, fields)
    if current is not None:
        if current.status == status:
            if current.error_code != error_code:
                current.error_code = error_code
                current.save(update_fields=["error_code"])
            return current
        sql.execute(
            f"UPDATE {sql.table(ConnectorStatusPeriod)} SET ended_at = %s WHERE id = %s",
            [sql.moment(at), current.pk],
        )
    period = _period_open(station_pk, connector_id, status, at, fields)
    _reprice(station_pk, connector_id, at, {status, current.status if current else ""})
    return period


def _period_open(
    station_pk: int, connector_id: int, status: str, at: datetime, fields: dict
) -> ConnectorStatusPeriod:
    """Insert the connector's new open period. Plain SQL: a burst of new stations opens
    one per connector, and the ORM's insert cost more than the rest of the change."""
    period = ConnectorStatusPeriod(
        station_id=station_pk, connector_id=connector_id, status=status, started_at=at, **fields
    )
    received_at = fields["received_at"]
    (period.pk,) = sql.fetch_one(
        f"INSERT INTO {sql.table(ConnectorStatusPeriod)} (station_id, connector_id, status,"
        " started_at, error_code, received_at, station_clock, inferred)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        [
            station_pk,
            connector_id,
            status,
            sql.moment(at),
            fields["error_code"],
            None if received_at is None else sql.moment(received_at),
            fields["station_clock"],
            fields["inferred"],
        ],
    )
    period._state.adding = False
    return period


def _open_period(station_pk: int, connector_id: int) -> ConnectorStatusPeriod | None:
    """The connector's one open period (a constraint), locked. Plain SQL: every status
    change asks, and the ORM's statement (with the model ordering's join to the
    station) cost more than the rest of the change."""
    lock = sql.row_lock()
    found = ConnectorStatusPeriod.objects.raw(
        f"SELECT * FROM {sql.table(ConnectorStatusPeriod)}"
        f" WHERE station_id = %s AND connector_id = %s AND ended_at IS NULL{lock}",
        [station_pk, connector_id],
    )
    return next(iter(found), None)


def _record_late(periods, status: str, at: datetime, fields: dict) -> ConnectorStatusPeriod:
    """Insert a report older than the open period: between the period in force at `at`
    (if any) and the next one, merging with a neighbour of the same status."""
    before = periods.filter(started_at__lte=at).order_by("-started_at").first()
    after = periods.filter(started_at__gt=at).order_by("started_at").first()
    station_pk, connector_id = after.station_id, after.connector_id
    if before is not None and before.status == status:
        return before  # nothing new: the station said so already
    if before is not None:
        before.ended_at = at
        before.save(update_fields=["ended_at"])
    touched = {status, after.status, before.status if before else ""}
    if after.status == status:  # the same status began earlier than first reported
        after.started_at = at
        after.save(update_fields=["started_at"])
        period = after
    else:
        period = ConnectorStatusPeriod.objects.create(
            station_id=station_pk,
            connector_id=connector_id,
            status=status,
            started_at=at,
            ended_at=after.started_at,
            **fields,
        )
    _reprice(station_pk, connector_id, at, touched)
    return period


def _reprice(station_pk: int, connector_id: int, at: datetime, statuses: set[str]) -> None:
    """Re-price the connector's ended session that a change at `at` concerns (the last
    one started before it), when an idle status began or ended."""
    if connector_id == 0 or not statuses & IDLE_STATUSES:
        return
    session = (
        ChargingSession.objects.filter(
            station_id=station_pk, connector__connector_id=connector_id, started_at__lt=at
        )
        .order_by("-started_at")
        .only("pk", "state")
        .first()
    )
    if session and session.state == ChargingSession.State.ENDED:
        session_price_later(session_pk=session.pk)
