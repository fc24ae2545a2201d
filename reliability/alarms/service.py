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
    key = {"kind": kind, "station_id": station_pk, "connector_id": connector_id}
    now = timezone.now()
    cleared = sql.execute(
        f"UPDATE {sql.table(Alarm)} SET cleared_at = %s"
        " WHERE kind = %s AND station_id = %s AND connector_id = %s AND cleared_at IS NULL",
        [sql.moment(now), kind, station_pk, connector_id],
    )
    if not cleared:
        return None
    # This call's clearing (one open alarm per key; a racing clear finds none open).
    alarm = Alarm.objects.select_related("station").filter(**key, cleared_at=now).first()
    if alarm is not None:
        _announce(CLEARED, alarm)
    return alarm


def _announce(kind: str, alarm: Alarm) -> None:
    events.publish(kind, alarm.station_id, alarm_data(alarm))
    enqueue_on_commit("reliability.tasks.mail_alarm", alarm.pk, kind)
