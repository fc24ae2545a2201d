"""Connector status history: one period per status, for idle fees and fault counts.

Times are the station's own: a period starts at the report's timestamp (1.6
StatusNotification, 2.0.1 StatusNotification or TransactionEvent, offline replays
included) and only where a station sent none, or an implausible one, at the time
ChargeNet received it. Reports delivered late, after a connection loss, are placed in
the history where their own time puts them, so the idle time they describe is billed.
"""

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from django.db import transaction

from billing.models import ConnectorStatusPeriod
from billing.pricing import IDLE_STATUSES
from billing.services.sessions import session_price_later
from runtime import sql
from stations.models import ChargingSession


class _OpenPeriod(NamedTuple):
    """What a status change reads of the connector's open period (no model)."""

    pk: int
    status: str
    started_at: datetime
    error_code: str


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
    first_report: bool = False,
) -> None:
    """Record that the connector was in `status` from `at` on; a repeated status is a no-op.

    At or after the open period's start: close it at `at` and open the new one. Before
    it (a late report): split the period that was in force at `at`, so the new one
    lasts until the next known change. Any change touching an idle status re-prices
    the connector's ended session it concerns: its idle fee has changed.

    `first_report`: the connector's first status ever (a new station's first boot), so
    it most likely has no history: its first period is inserted without looking for an
    open one first, unless one exists after all.
    """
    fields = {
        "error_code": error_code,
        "received_at": received_at,
        "station_clock": station_clock,
        "inferred": inferred,
    }
    if first_report and _period_open(station_pk, connector_id, status, at, fields, first=True):
        _reprice(station_pk, connector_id, at, {status})
        return
    current = _open_period(station_pk, connector_id)
    if current is not None and at < current.started_at:
        periods = ConnectorStatusPeriod.objects.select_for_update(no_key=True).filter(
            station_id=station_pk, connector_id=connector_id
        )
        _record_late(periods, status, at, fields)
        return
    if current is not None:
        if current.status == status:
            if current.error_code != error_code:
                sql.execute(
                    f"UPDATE {sql.table(ConnectorStatusPeriod)} SET error_code = %s WHERE id = %s",
                    [error_code, current.pk],
                )
            return
        sql.execute(
            f"UPDATE {sql.table(ConnectorStatusPeriod)} SET ended_at = %s WHERE id = %s",
            [sql.moment(at), current.pk],
        )
    _period_open(station_pk, connector_id, status, at, fields)
    _reprice(station_pk, connector_id, at, {status, current.status if current else ""})


def first_period(
    *,
    station_pk: int,
    connector_id: int,
    status: str,
    at: datetime,
    error_code: str = "",
    received_at: datetime | None = None,
    station_clock: bool = False,
    inferred: bool = False,
) -> tuple[list[tuple[str, list]], Callable[[list[sql.Done]], None]]:
    """A connector's first status (`first_report`) as one statement, for a report
    written in one round trip (`events.joined`), and what follows from what it did.

    Its first period is inserted unless the connector has an open one after all (one
    deleted and reported again); then, in a transaction of its own, it goes the usual
    way. The statement does no harm if the report's write changes nothing: it opens
    the period of a status the station did report, where none is open.
    """
    fields = {
        "error_code": error_code,
        "received_at": received_at,
        "station_clock": station_clock,
        "inferred": inferred,
    }

    def then(done: list[sql.Done]) -> None:
        if done[0].rowcount == 1:
            _reprice(station_pk, connector_id, at, {status})
        else:
            status_history_record(
                station_pk=station_pk, connector_id=connector_id, status=status, at=at, **fields
            )

    return [_period_statement(station_pk, connector_id, status, at, fields, first=True)], then


def _period_open(
    station_pk: int,
    connector_id: int,
    status: str,
    at: datetime,
    fields: dict,
    *,
    first: bool = False,
) -> bool:
    """Insert the connector's new open period. Plain SQL: a burst of new stations opens
    one per connector, and the ORM's insert cost more than the rest of the change.

    `first`: unless the connector has an open period already; whether it was inserted.
    """
    statement = _period_statement(station_pk, connector_id, status, at, fields, first=first)
    return sql.execute(*statement) == 1


def _period_statement(
    station_pk: int, connector_id: int, status: str, at: datetime, fields: dict, *, first: bool
) -> tuple[str, list]:
    received_at = fields["received_at"]
    unless_open = (
        " ON CONFLICT (station_id, connector_id) WHERE ended_at IS NULL DO NOTHING" if first else ""
    )
    return (
        f"INSERT INTO {sql.table(ConnectorStatusPeriod)} (station_id, connector_id, status,"
        " started_at, error_code, received_at, station_clock, inferred)"
        f" VALUES (%s, %s, %s, %s, %s, %s, %s, %s){unless_open}",
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


def _open_period(station_pk: int, connector_id: int) -> _OpenPeriod | None:
    """The connector's one open period (a constraint), locked. Plain SQL, its few
    columns: every status change asks, and through the ORM (a raw query set building
    the model) this read cost more than the rest of the change."""
    found = sql.fetch_one(
        f"SELECT id, status, started_at, error_code FROM {sql.table(ConnectorStatusPeriod)}"
        f" WHERE station_id = %s AND connector_id = %s AND ended_at IS NULL{sql.row_lock()}",
        [station_pk, connector_id],
    )
    if found is None:
        return None
    pk, status, started_at, error_code = found
    return _OpenPeriod(pk, status, sql.aware(started_at), error_code)


def _record_late(periods, status: str, at: datetime, fields: dict) -> None:
    """Insert a report older than the open period: between the period in force at `at`
    (if any) and the next one, merging with a neighbour of the same status."""
    before = periods.filter(started_at__lte=at).order_by("-started_at").first()
    after = periods.filter(started_at__gt=at).order_by("started_at").first()
    station_pk, connector_id = after.station_id, after.connector_id
    if before is not None and before.status == status:
        return  # nothing new: the station said so already
    if before is not None:
        before.ended_at = at
        before.save(update_fields=["ended_at"])
    touched = {status, after.status, before.status if before else ""}
    if after.status == status:  # the same status began earlier than first reported
        after.started_at = at
        after.save(update_fields=["started_at"])
    else:
        ConnectorStatusPeriod.objects.create(
            station_id=station_pk,
            connector_id=connector_id,
            status=status,
            started_at=at,
            ended_at=after.started_at,
            **fields,
        )
    _reprice(station_pk, connector_id, at, touched)


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
