"""Writing reliability's histories: connectivity periods and ChargeNet's own runs."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chargenet.celery import enqueue_on_commit
from reliability.models import CentralSystemRun, ConnectivityPeriod, UptimeReport
from reliability.timeline import CENTRAL_GAP_SECONDS
from runtime import sql


def connectivity_record(*, station_pk: int, connected: bool, at: datetime | None = None) -> None:
    """Close the station's open period; open a new one if it connected.

    A repeated "connected" (a newer socket took the station over) keeps the open
    period: the station never left. One statement each way, no transaction: this runs
    on every handshake, and the one-open-period constraint settles any race.
    """
    sql.execute(*connectivity_statement(station_pk, connected, at or timezone.now()))


def connectivity_statement(station_pk: int, connected: bool, at: datetime) -> tuple[str, list]:
    """`connectivity_record`'s statement, for a caller that sends it with others."""
    # Plain SQL (bulk_create(ignore_conflicts=True) would wrap the one INSERT in a
    # transaction, and the ORM's UPDATE costs more than sending it).
    table, at = sql.table(ConnectivityPeriod), sql.moment(at)
    if connected:
        return (
            f"INSERT INTO {table} (station_id, started_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [station_pk, at],
        )
    # Never before its start (a station clock or a late close).
    return (
        f"UPDATE {table} SET ended_at = CASE WHEN started_at > %s THEN started_at ELSE %s END"
        " WHERE station_id = %s AND ended_at IS NULL",
        [at, at, station_pk],
    )


@transaction.atomic
def central_alive(now: datetime | None = None) -> CentralSystemRun:
    """ChargeNet is up now: extend the newest run, or start one after a gap."""
    now = now or timezone.now()
    run = CentralSystemRun.objects.select_for_update(no_key=True).order_by("-started_at").first()
    if run is not None and (now - run.alive_at).total_seconds() <= CENTRAL_GAP_SECONDS:
        if now > run.alive_at:
            run.alive_at = now
            run.save(update_fields=["alive_at"])
        return run
    return CentralSystemRun.objects.create(started_at=now, alive_at=now)


MAX_INTERVAL_DAYS = 92  # a quarter of 15-minute rows per port: ~8,800 rows


def report_request(
    *,
    period_start: date,
    period_end: date,
    kind: str = UptimeReport.Kind.MONTHLY,
    site=None,
    station=None,
    requested_by=None,
) -> UptimeReport:
    """Record an uptime report and queue its making for after the commit."""
    if period_end < period_start:
        raise ValueError(_("The period ends before it starts."))
    if (
        kind == UptimeReport.Kind.INTERVALS
        and (period_end - period_start).days >= MAX_INTERVAL_DAYS
    ):
        raise ValueError(_("Status per 15 minutes covers at most 92 days."))
    report = UptimeReport.objects.create(
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        site=site,
        station=station,
        requested_by=requested_by,
    )
    enqueue_on_commit("reliability.tasks.generate_report", report.pk)
    return report
