"""E-bike safety: an e-bike port that overheats or draws more than it is rated for has
its session stopped at once, with the reason on the session (the driver sees it, and
billing refunds the unused part of a prepaid block)."""

from billing.services.sessions import SAFETY_STOP_FLAG as FLAG_PREFIX
from chargenet.celery import enqueue_on_commit
from reliability.models import Alarm
from stations.models import ChargingSession, ChargingStation

SAFETY_KINDS = {Alarm.Kind.OVERLOAD: "overload", Alarm.Kind.OVERTEMPERATURE: "overtemperature"}


def safety_stop_flag(session: ChargingSession) -> str | None:
    """The safety stop's reason ("overload", "overtemperature"), or None."""
    for flag in session.flags:
        if flag.startswith(FLAG_PREFIX):
            return flag.removeprefix(FLAG_PREFIX)
    return None


def on_alarm_raised(kind: str, station_pk: int | None, data: dict) -> None:
    reason = SAFETY_KINDS.get(data.get("kind"))
    if reason is None or not data.get("connector"):
        return
    if not ChargingStation.objects.filter(pk=station_pk, kind=ChargingStation.Kind.EBIKE).exists():
        return
    session = ChargingSession.objects.filter(
        station_id=station_pk,
        connector__connector_id=data["connector"],
        state=ChargingSession.State.ACTIVE,
    ).first()
    if session is None:
        return
    session.add_flag(FLAG_PREFIX + reason)
    session.save(update_fields=["flags"])
    enqueue_on_commit("reliability.tasks.safety_stop", session.pk)
