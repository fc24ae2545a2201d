"""Station housekeeping jobs: thin Celery tasks that call one service each."""

from celery import shared_task
from django.db import OperationalError

from stations import services


@shared_task(
    name="stations.tasks.prune_message_log",
    # Deletes run in committed batches, so a task stopped by the limit loses nothing:
    # the next hourly run (chargenet/celery.py beat schedule) carries on.
    soft_time_limit=600,
    time_limit=660,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def prune_message_log() -> int:
    """Delete OCPP frames older than OCPP_MESSAGE_RETENTION_DAYS; return how many."""
    return services.message_log_prune()
