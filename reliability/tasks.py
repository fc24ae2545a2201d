"""Reliability's background work: ChargeNet's own liveness, reports, alarms."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from reliability.alarms import rules
from reliability.alarms.mail import alarm_mail
from reliability.models import Alarm, UptimeReport
from reliability.reports import report_generate
from reliability.services import central_alive, report_request
from stations.commands.service import send_command
from stations.models import ChargingSession


@shared_task(name="reliability.tasks.record_central_alive", ignore_result=True)
def record_central_alive() -> None:
    """Run every minute: the gaps between runs are when ChargeNet itself was down."""
    central_alive()


@shared_task(name="reliability.tasks.generate_report", soft_time_limit=1700, time_limit=1800)
def generate_report(report_id: int) -> str | None:
    """Compute an uptime report's files; its row records progress, result or error."""
    report = UptimeReport.objects.filter(pk=report_id).first()
    return report_generate(report).status if report else None


@shared_task(name="reliability.tasks.request_monthly_report", ignore_result=True)
def request_monthly_report() -> None:
    """On the 1st: the network's uptime report of the month that ended."""
    last = timezone.now().date().replace(day=1) - timedelta(days=1)
    report_request(period_start=last.replace(day=1), period_end=last)


@shared_task(name="reliability.tasks.raise_offline_alarms", ignore_result=True)
def raise_offline_alarms() -> int:
    """Run every minute: stations silent longer than ALARM_OFFLINE_AFTER."""
    return rules.offline_sweep()


@shared_task(
    name="reliability.tasks.mail_alarm",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def mail_alarm(alarm_id: int, kind: str) -> int:
    """E-mail operators that an alarm was raised or cleared."""
    alarm = Alarm.objects.select_related("station").filter(pk=alarm_id).first()
    return alarm_mail(alarm, kind) if alarm else 0


@shared_task(name="reliability.tasks.safety_stop", soft_time_limit=60, time_limit=90)
def safety_stop(session_id: int) -> str | None:
    """Stop a session an e-bike safety alarm asked to stop."""
    session = ChargingSession.objects.select_related("station").filter(pk=session_id).first()
    if session is None or session.state != ChargingSession.State.ACTIVE:
        return None
    return send_command(session.station, "remote_stop", {"session_id": session.pk}).status
