"""Reliability's periodic work."""

from celery import shared_task

from reliability.services import central_alive


@shared_task(name="reliability.tasks.record_central_alive", ignore_result=True)
def record_central_alive() -> None:
    """Run every minute: the gaps between runs are when ChargeNet itself was down."""
    central_alive()
