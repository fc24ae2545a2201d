"""Stuck sessions: sessions a station dropped without telling ChargeNet.

A station that boots again, or reports a connector Available, while ChargeNet still
holds an active session there has probably lost that session. It is not closed at
once: real stations report Available before their StopTransaction and replay queued
StopTransaction/TransactionEvent messages after a reboot. The session is marked
(`reconcile_after` = now + OCPP_RECONCILE_GRACE); any message that continues it
clears the mark; `sessions_reconcile_due` (Celery beat, every minute) closes what is
still marked once the grace has passed, with the last meter reading (a soft stop,
`session_soft_stop`, which operators may also order). A real stop that arrives later
still wins (`late_stop_applies`).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from runtime import sql
from stations import events
from stations.metering import WHOLE_METER_ENERGY
from stations.models import ChargingSession, Connector, MeterSample
from stations.services import load_management

REASON_REBOOT = "Reconciled: station rebooted"
REASON_AVAILABLE = "Reconciled: connector reported Available"
RECONCILED = "reconciled"  # flag: closed by reconciliation, not by the station
STOPPED_LATE = "stopped_after_reconcile"  # flag: the station's real stop came later


def _grace() -> timedelta:
    return timedelta(seconds=settings.OCPP_RECONCILE_GRACE)


def sessions_mark_suspect(
    *,
    station_pk: int,
    reason: str,
    connector_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the station's (or one connector's) active sessions; return how many.

    A session already marked keeps its first mark: the grace runs from the first sign.
    """
    return sql.execute(*suspect_statement(station_pk, reason, connector_id, now))


def suspect_statement(
    station_pk: int, reason: str, connector_id: int | None = None, now: datetime | None = None
) -> tuple[str, list]:
    """`sessions_mark_suspect`'s statement, for a caller that sends it with others."""
    if reason not in (REASON_REBOOT, REASON_AVAILABLE):
        raise ValueError(f"unknown reconcile reason {reason!r}")
    now = now or timezone.now()
    # Plain SQL: every boot asks it, and most stations have no active session.
    statement = (
        f"UPDATE {sql.table(ChargingSession)} SET reconcile_after = %s, reconcile_reason = %s,"
        " updated_at = %s WHERE station_id = %s AND state = %s AND reconcile_after IS NULL"
    )
    params = [
        sql.moment(now + _grace()),
        reason,
        sql.moment(now),
        station_pk,
        ChargingSession.State.ACTIVE.value,
    ]
    if connector_id is not None:
        statement += (
            f" AND connector_id IN (SELECT id FROM {sql.table(Connector)}"
            " WHERE station_id = %s AND connector_id = %s)"
        )
        params += [station_pk, connector_id]
    return statement, params


def session_continued(session: ChargingSession) -> None:
    """The station sent a message for this session: it is not stuck (caller saves)."""
    session.reconcile_after = None
    session.reconcile_reason = ""


def sessions_reconcile_due(*, now: datetime | None = None) -> list[int]:
    """Close every marked session whose grace has passed; return their ids."""
    now = now or timezone.now()
    marked = ChargingSession.objects.filter(reconcile_after__isnull=False)
    # Sessions ended otherwise (a new start, an operator's soft stop) drop their mark.
    marked.filter(state=ChargingSession.State.ENDED).update(
        reconcile_after=None, reconcile_reason=""
    )
    due = marked.filter(state=ChargingSession.State.ACTIVE, reconcile_after__lte=now)
    pks = list(due.values_list("pk", flat=True))
    return [pk for pk in pks if session_reconcile(session_id=pk, now=now)]


@transaction.atomic
def session_reconcile(*, session_id: int, now: datetime | None = None) -> bool:
    """Close one marked session at its last meter reading, if it is still due.

    Re-checked under the row lock: a message that arrived since clears the mark.
    """
    now = now or timezone.now()
    session = ChargingSession.objects.select_for_update(no_key=True).filter(pk=session_id).first()
    if (
        session is None
        or session.state != ChargingSession.State.ACTIVE
        or session.reconcile_after is None
        or session.reconcile_after > now
    ):
        return False
    if session.meter_last_wh is None:
        session.meter_last_wh = _latest_register_wh(session)
    ended_at = _end_estimate(session, now)
    session.add_flag(RECONCILED)
    session.reconcile_after = None  # the reason stays, next to the stop reason
    session.save(update_fields=["meter_last_wh", "flags", "reconcile_after", "updated_at"])
    session_soft_stop(session_id=session.pk, reason=session.reconcile_reason, ended_at=ended_at)
    return True


@transaction.atomic
def session_soft_stop(
    *, session_id: int, reason: str = "SoftStop", ended_at: datetime | None = None
) -> ChargingSession:
    """End a session the station lost, with what was measured (at `ended_at`, default
    now); sends nothing."""
    session = ChargingSession.objects.select_for_update(no_key=True).get(pk=session_id)
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
    load_management.session_changed(session)
    events.publish("session.ended", session.station_id, events.session_data(session))
    return session


def _end_estimate(session: ChargingSession, now: datetime) -> datetime:
    """When the session really ended, as far as ChargeNet can tell.

    Available: when the connector said so (the car has gone). Reboot: the station went
    down after the last thing it said about the session, which may be days before it
    came back; billing time and idle fees must not run over the outage.
    """
    marked_at = min(max(session.reconcile_after - _grace(), session.started_at), now)
    if session.reconcile_reason != REASON_REBOOT:
        return marked_at
    heard = [
        session.samples.aggregate(last=Max("timestamp"))["last"],
        session.events.aggregate(last=Max("timestamp"))["last"],
    ]
    last_heard = max([session.started_at, *(moment for moment in heard if moment)])
    return min(marked_at, last_heard)


def _latest_register_wh(session: ChargingSession) -> int | None:
    value = (
        MeterSample.objects.filter(WHOLE_METER_ENERGY, session=session)
        .order_by("-timestamp")
        .values_list("value", flat=True)
        .first()
    )
    return None if value is None else int(value)


def late_stop_applies(session: ChargingSession) -> bool:
    """An ended session that takes the station's stop: reconciled, not yet really stopped.

    Marks it so a replay of the same stop changes nothing (caller saves).
    """
    if RECONCILED not in session.flags or STOPPED_LATE in session.flags:
        return False
    session.add_flag(STOPPED_LATE)
    return True
