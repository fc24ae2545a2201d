"""Station jobs: thin Celery tasks that call one service each.

Tasks that talk to stations are queued with `enqueue_on_commit`: after the caller's
transaction commits, and never inside an OCPP message's handling. In the embedded
default Celery runs tasks eagerly, in the caller's thread; there the task is handed
to a worker thread of the running event loop instead, because the caller may be the
very socket the task will send a command to (shared/DESIGN.md, "Commands").
"""

import logging
import os

from asgiref.sync import SyncToAsync, sync_to_async
from celery import shared_task
from django.db import OperationalError, transaction

from stations.services import load_management, local_lists, reconcile, reservations, retention

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits (best effort)."""
    transaction.on_commit(lambda: _enqueue(task, args))


def _delay(task, args: tuple) -> None:
    # The caller's work is committed: a broker that is down, or an eager task that
    # fails, must not fail it.
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001
        logger.exception("Task %s%r could not be queued or failed", task.name, args)


def _enqueue(task, args: tuple) -> None:
    if not task.app.conf.task_always_eager:
        _delay(task, args)
        return
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    owner = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is None or owner != os.getpid() or not loop.is_running():
        _delay(task, args)  # plain synchronous code (a script, a test): run it here
        return
    # Called from a thread an event loop is waiting on: run the task in another thread
    # of that loop, without waiting for it.
    loop.call_soon_threadsafe(
        lambda: loop.create_task(sync_to_async(_delay, thread_sensitive=False)(task, args))
    )


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
    return retention.message_log_prune()


@shared_task(
    name="stations.tasks.prune_meter_samples",
    # Each batch commits on its own (summary and delete together), so a task stopped by
    # the limit loses nothing and the next daily run carries on where it stopped.
    soft_time_limit=3000,
    time_limit=3600,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def prune_meter_samples() -> int:
    """Roll up and delete meter samples older than METER_SAMPLE_RETENTION_DAYS."""
    return retention.meter_samples_prune()


@shared_task(
    name="stations.tasks.reconcile_stuck_sessions",
    soft_time_limit=50,
    time_limit=60,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def reconcile_stuck_sessions() -> list[int]:
    """Close sessions their station dropped, once the grace has passed (every minute)."""
    return reconcile.sessions_reconcile_due()


@shared_task(
    name="stations.tasks.expire_reservations",
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def expire_reservations() -> int:
    """Mark reservations past their expiry as expired (every minute, beat)."""
    return reservations.reservations_expire()


@shared_task(
    name="stations.tasks.site_power_rebalance",
    # Each station has OCPP_COMMAND_TIMEOUT to answer; a site has a few dozen at most.
    soft_time_limit=600,
    time_limit=660,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def site_power_rebalance(site_id: int) -> dict[int, int]:
    """Send each active session of the site its fair share; {session id: W}."""
    results = load_management.site_power_rebalance(site_id=site_id)
    return {result.session_id: result.share_w for result in results}


@shared_task(
    name="stations.tasks.sync_local_lists",
    soft_time_limit=600,
    time_limit=660,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def sync_local_lists() -> dict[str, str]:
    """Send pending local-list changes to connected stations (beat, and on token edits)."""
    return local_lists.local_lists_sync_stale()
