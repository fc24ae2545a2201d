"""Billing jobs: thin Celery tasks that load by id and call one service each.

Pricing is queued with transaction.on_commit when a session ends (see
billing.services.session_price_later), and a sweep every five minutes prices what that
queueing lost (price_unpriced_sessions); invoices and reports run monthly from the beat
schedule in chargenet/celery.py, and so do the running costs 2.x stations show
(every OCPP_COST_UPDATE_INTERVAL seconds). Services queue these tasks by name
(chargenet.celery.task), so no service imports this module.
"""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from billing import services
from billing.models import OperatorProfile, Report
from billing.periods import previous_month
from stations.commands.service import send_command, send_commands
from stations.models import ChargingSession

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="billing.tasks.price_session", soft_time_limit=60, time_limit=90, **RETRY)
def price_session(session_id: int) -> str | None:
    """Price an ended session and store the price; safe to repeat. Returns the gross total."""
    session = ChargingSession.objects.filter(pk=session_id).first()
    if session is None:
        return None
    price = services.session_price(session)
    return None if price is None else f"{price.gross} {price.currency}"


@shared_task(
    name="billing.tasks.price_unpriced_sessions", soft_time_limit=240, time_limit=300, **RETRY
)
def price_unpriced_sessions() -> int:
    """The sweep: price ended sessions whose queued pricing was lost or never queued.

    Idempotent like `price_session`; returns how many it priced.
    """
    priced = 0
    for session_id in services.sessions_unpriced():
        session = ChargingSession.objects.filter(pk=session_id).first()
        priced += session is not None and services.session_price(session) is not None
    return priced


def _month_or_previous(year: int | None, month: int | None) -> tuple[int, int]:
    if year and month:
        return year, month
    return previous_month(timezone.now(), OperatorProfile.current().timezone)


@shared_task(
    name="billing.tasks.issue_monthly_invoices", soft_time_limit=3000, time_limit=3600, **RETRY
)
def issue_monthly_invoices(year: int | None = None, month: int | None = None) -> list[str]:
    """Invoice every driver for a month (default: the last month that ended); idempotent."""
    year, month = _month_or_previous(year, month)
    return [invoice.number for invoice in services.invoice_issue_monthly(year=year, month=month)]


@shared_task(name="billing.tasks.generate_report", soft_time_limit=1700, time_limit=1800)
def generate_report(report_id: int) -> str | None:
    """Compute a report's figures and files; its row records progress, result or error."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None:
        return None
    return services.report_generate(report=report).status


@shared_task(name="billing.tasks.request_monthly_report", soft_time_limit=60, time_limit=90)
def request_monthly_report(year: int | None = None, month: int | None = None) -> int:
    """Ask for the network's report of a month (default: the last month that ended)."""
    year, month = _month_or_previous(year, month)
    return services.report_request_monthly(year=year, month=month).pk


@shared_task(name="billing.tasks.stop_expired_prepaid_sessions", soft_time_limit=50, time_limit=60)
def stop_expired_prepaid_sessions() -> int:
    """Stop sessions whose prepaid block ran out; returns how many stops were sent."""
    sent = 0
    for session in services.prepaid_block_expired_sessions():
        command = send_command(session.station, "remote_stop", {"session_id": session.pk})
        sent += command.status == "accepted"
    return sent


# A running cost is only shown: a station that does not answer soon is not waited for.
COST_UPDATE_TIMEOUT = 10


@shared_task(name="billing.tasks.send_cost_updates", soft_time_limit=50, time_limit=60)
def send_cost_updates() -> int:
    """Tell every 2.x station charging under a tariff its session's running cost
    (CostUpdated, taxes included); returns how many stations accepted it."""
    if settings.OCPP_COST_UPDATE_INTERVAL <= 0:
        return 0
    requests = [
        (
            session.station,
            "cost_updated",
            {"transaction_id": session.transaction_id, "total_cost": str(cost.total)},
        )
        for session, cost in services.running_costs()
    ]
    if not requests:
        return 0
    results = send_commands(requests, timeout=COST_UPDATE_TIMEOUT)
    return sum(getattr(result, "status", None) == "accepted" for result in results)
