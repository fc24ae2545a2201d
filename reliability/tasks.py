"""Reliability's periodic work."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from reliability.models import UptimeReport
from reliability.reports import report_generate
from reliability.services import central_alive, report_request


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
