"""Raising and clearing alarms: one open alarm per kind, station and connector."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from chargenet.celery import enqueue_on_commit
from reliability.models import Alarm
from runtime import sql
from stations import events

RAISED, CLEARED = "alarm.raised", "alarm.cleared"


def alarm_data(alarm: Alarm) -> dict:
    """What an `alarm.*` event says (webhooks, live pages, e-mail)."""
    return {
        "alarm": alarm.pk,
        "kind": alarm.kind,
        "station_id": alarm.station.station_id,
        "connector": alarm.connector_id,
        "detail": alarm.detail,
        "raised_at": alarm.raised_at.isoformat(),
        "cleared_at": alarm.cleared_at.isoformat() if alarm.cleared_at else None,
    }


def alarm_raise(
    kind: str, *, station_pk: int, connector_id: int = 0, detail: str = "", data=None
) -> Alarm | None:
    """Open the alarm unless it is open already; None when it was."""
    key = {"kind": kind, "station_id": station_pk, "connector_id": connector_id}
    if Alarm.objects.filter(**key, cleared_at__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                **key, detail=detail[:200], data=data or {}, raised_at=timezone.now()
            )
    except IntegrityError:  # raised meanwhile by another process
        return None
    _announce(RAISED, alarm)
    return alarm


def alarm_clear(kind: str, *, station_pk: int, connector_id: int = 0) -> Alarm | None:
    """Clear the open alarm, if there is one.

    One UPDATE (plain SQL) when there is none, the common case: every handshake asks
    to clear the station's offline alarm.
    """
    now = timezone.now()
    cleared = sql.execute(*clear_statement(kind, station_pk, connector_id, now))
    return alarm_cleared(kind, station_pk, connector_id, now, cleared)


def clear_statement(kind: str, station_pk: int, connector_id: int, now) -> tuple[str, list]:
    """`alarm_clear`'s statement, for a caller that sends it with others; then
    `alarm_cleared` with the rows it changed."""
    return (
        f"UPDATE {sql.table(Alarm)} SET cleared_at = %s"
        " WHERE kind = %s AND station_id = %s AND connector_id = %s AND cleared_at IS NULL",
        [sql.moment(now), kind, station_pk, connector_id],
    )


def alarm_cleared(kind: str, station_pk: int, connector_id: int, now, cleared: int) -> Alarm | None:
    """The alarm `clear_statement` cleared at `now`, announced; None if it cleared none."""
    if not cleared:
        return None
    # This call's clearing (one open alarm per key; a racing clear finds none open).
    alarm = (
        Alarm.objects.select_related("station")
        .filter(kind=kind, station_id=station_pk, connector_id=connector_id, cleared_at=now)
        .first()
    )
    if alarm is not None:
        _announce(CLEARED, alarm)
    return alarm


def _announce(kind: str, alarm: Alarm) -> None:
    events.publish(kind, alarm.station_id, alarm_data(alarm))
    enqueue_on_commit("reliability.tasks.mail_alarm", alarm.pk, kind)
