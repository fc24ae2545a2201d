"""Station jobs: thin Celery tasks that call one service each.

Services queue the tasks that talk to stations by name, after their transaction
commits (chargenet.celery.enqueue_on_commit), so no service imports this module.
"""

from celery import shared_task
from django.db import OperationalError

from stations.pki import delivery
from stations.services import load_management, local_lists, reconcile, reservations, retention

# Every station task retries a database that is briefly unavailable (a restart, a lock).
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}


@shared_task(
    name="stations.tasks.prune_message_log",
    # Deletes run in committed batches, so a task stopped by the limit loses nothing:
    # the next hourly run (chargenet/celery.py beat schedule) carries on.
    soft_time_limit=600,
    time_limit=660,
    **RETRY,
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
    **RETRY,
)
def prune_meter_samples() -> int:
    """Roll up and delete meter samples older than METER_SAMPLE_RETENTION_DAYS."""
    return retention.meter_samples_prune()


@shared_task(
    name="stations.tasks.reconcile_stuck_sessions", soft_time_limit=50, time_limit=60, **RETRY
)
def reconcile_stuck_sessions() -> list[int]:
    """Close sessions their station dropped, once the grace has passed (every minute)."""
    return reconcile.sessions_reconcile_due()


@shared_task(name="stations.tasks.expire_reservations", soft_time_limit=60, time_limit=90, **RETRY)
def expire_reservations() -> int:
    """Mark reservations past their expiry as expired (every minute, beat)."""
    return reservations.reservations_expire()


@shared_task(
    name="stations.tasks.site_power_rebalance",
    # Each station has OCPP_COMMAND_TIMEOUT to answer; a site has a few dozen at most.
    soft_time_limit=600,
    time_limit=660,
    **RETRY,
)
def site_power_rebalance(site_id: int) -> dict[int, int]:
    """Send each active session of the site its fair share; {session id: W}."""
    results = load_management.site_power_rebalance(site_id=site_id)
    return {result.session_id: result.share_w for result in results}


@shared_task(name="stations.tasks.sync_local_lists", soft_time_limit=600, time_limit=660, **RETRY)
def sync_local_lists() -> dict[str, str]:
    """Send pending local-list changes to connected stations (beat, and on token edits)."""
    return local_lists.local_lists_sync_stale()


@shared_task(
    name="stations.tasks.send_signed_certificate", soft_time_limit=120, time_limit=150, **RETRY
)
def send_signed_certificate(issued_pk: int) -> str | None:
    """Send a certificate ChargeNet's CA issued (CertificateSigned); the outcome."""
    command = delivery.signed_certificate_send(issued_pk=issued_pk)
    return command.status if command else None


@shared_task(
    name="stations.tasks.meet_charging_needs", soft_time_limit=300, time_limit=330, **RETRY
)
def meet_charging_needs(session_id: int) -> int | None:
    """Send an EV's session the TxProfile its charging needs asked for; its limit in W."""
    result = load_management.charging_needs_meet(session_id=session_id)
    return result.share_w if result else None
