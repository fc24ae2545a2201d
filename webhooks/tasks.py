"""Celery: webhook deliveries. One task run is one attempt; a failure queues the next."""

from celery import shared_task

from webhooks import delivery


@shared_task(name="webhooks.tasks.deliver_webhook", ignore_result=True, acks_late=True)
def deliver_webhook(delivery_pk: int) -> None:
    retry_in = delivery.attempt(delivery_pk)
    if retry_in is not None:
        # Eagerly (embedded default) the countdown is ignored: retries run at once.
        deliver_webhook.apply_async((delivery_pk,), countdown=retry_in)
