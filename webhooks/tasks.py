"""Celery: webhook deliveries. One task run is one attempt; a failure queues the next.

An attempt queued in Redis is lost when Redis restarts; `deliver_overdue_webhooks`
(beat, every minute) makes the attempts that are overdue.
"""

from celery import shared_task

from webhooks import delivery


@shared_task(name="webhooks.tasks.deliver_webhook", ignore_result=True, acks_late=True)
def deliver_webhook(delivery_pk: int) -> None:
    retry_in = delivery.attempt(delivery_pk)
    if retry_in is not None:
        # Eagerly (embedded default) the countdown is ignored: retries run at once.
        deliver_webhook.apply_async((delivery_pk,), countdown=retry_in)


@shared_task(name="webhooks.tasks.deliver_overdue_webhooks", ignore_result=True)
def deliver_overdue_webhooks() -> None:
    for delivery_pk in delivery.deliveries_overdue():
        deliver_webhook(delivery_pk)
