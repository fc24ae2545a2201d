"""Webhook deliveries for domain events, queued after the transaction commits.

Every domain event goes through stations.events.publish; `event_published` is
subscribed there (WebhooksConfig.ready) for every kind an integrator may subscribe
to. The hot OCPP path pays nothing while nobody subscribes: active subscriptions are
cached per process for a few seconds (and dropped at once when this process saves or
deletes one). Deliveries are attempted by the task `webhooks.tasks.deliver_webhook`,
queued by name (its module imports this one through webhooks.delivery).
"""

import json
import logging
import time
import uuid

from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from chargenet.celery import task
from stations.models import ChargingStation, Command
from webhooks.models import WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
_cache: dict = {"at": -1e9, "subscriptions": []}


def connect_signals() -> None:
    post_save.connect(_forget, sender=WebhookSubscription, dispatch_uid="webhooks-forget-save")
    post_delete.connect(_forget, sender=WebhookSubscription, dispatch_uid="webhooks-forget-del")


def _forget(**kwargs) -> None:
    _cache["at"] = -1e9


def _active_subscriptions() -> list[tuple[int, set[str]]]:
    now = time.monotonic()
    if now - _cache["at"] > CACHE_SECONDS:
        _cache["subscriptions"] = [
            (pk, set(events or []))
            for pk, events in WebhookSubscription.objects.filter(active=True).values_list(
                "pk", "events"
            )
        ]
        _cache["at"] = now
    return _cache["subscriptions"]


def event_published(kind: str, station_pk: int | None, data: dict) -> None:
    """A domain event committed: deliver it to its subscribers.

    Best effort, like the live events: a failure here never fails the caller.
    """
    _dispatch(kind, data, station_pk)


def _dispatch(kind: str, data: dict, station_pk: int | None) -> None:
    try:
        targets = [pk for pk, events in _active_subscriptions() if kind in events]
        if targets:
            enqueue(kind, data, targets, station_pk=station_pk)
    except Exception:  # noqa: BLE001 - see event_published()
        logger.warning("Could not queue %s webhooks", kind, exc_info=True)


def body_for(kind: str, data: dict, *, station_pk: int | None = None) -> tuple[str, str]:
    """The JSON body of an event and its id: the same bytes for every subscriber."""
    if kind == "command.finished" and station_pk is None:
        row = Command.objects.filter(pk=data.get("command")).values("station_id", "action").first()
        if row:
            station_pk, data = row["station_id"], {**data, "action": row["action"]}
    event_id = str(uuid.uuid4())
    payload = {"id": event_id, "kind": kind, "created_at": timezone.now().isoformat()}
    if station_pk is not None:
        payload["station_id"] = (
            ChargingStation.objects.filter(pk=station_pk)
            .values_list("station_id", flat=True)
            .first()
        )
    payload["data"] = {key: value for key, value in data.items() if key != "station"}
    return event_id, json.dumps(payload, separators=(",", ":"), default=str)


def enqueue(
    kind: str, data: dict, subscription_pks: list[int], *, station_pk: int | None = None
) -> list[WebhookDelivery]:
    """Store one delivery per subscription and queue its first attempt."""
    deliver_webhook = task("webhooks.tasks.deliver_webhook")
    event_id, body = body_for(kind, data, station_pk=station_pk)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(subscription_id=pk, event_id=event_id, kind=kind, body=body)
        for pk in subscription_pks
    )
    for delivery in deliveries:
        deliver_webhook.delay(delivery.pk)
    return deliveries
