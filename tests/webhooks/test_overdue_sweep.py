"""Webhook attempts whose queued task was lost (a Redis restart) are made by the sweep."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from webhooks import delivery
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.tasks import deliver_overdue_webhooks

pytestmark = pytest.mark.django_db


def make_delivery(subscription, *, age: timedelta, **fields) -> WebhookDelivery:
    made = WebhookDelivery.objects.create(
        subscription=subscription, kind="session.started", body="{}", **fields
    )
    WebhookDelivery.objects.filter(pk=made.pk).update(created_at=timezone.now() - age)
    return made


def test_only_overdue_deliveries_are_attempted_by_the_sweep(monkeypatch):
    owner = get_user_model().objects.create_user("hooks", is_staff=True)
    subscription = WebhookSubscription.objects.create(
        owner=owner, url="http://127.0.0.1:9/", events=["session.started"]
    )
    now = timezone.now()
    retrying = WebhookDelivery.Status.RETRYING
    lost = make_delivery(subscription, age=timedelta(minutes=10))
    fresh = make_delivery(subscription, age=timedelta(seconds=10))
    late_retry = make_delivery(
        subscription, age=timedelta(hours=1), status=retrying, attempts=2,
        next_attempt_at=now - timedelta(minutes=5),
    )  # fmt: skip
    make_delivery(
        subscription, age=timedelta(hours=1), status=retrying, attempts=2,
        next_attempt_at=now + timedelta(minutes=5),
    )  # fmt: skip
    make_delivery(subscription, age=timedelta(hours=1), status=WebhookDelivery.Status.SUCCEEDED)

    attempted = []
    monkeypatch.setattr(delivery, "attempt", lambda pk: attempted.append(pk))
    deliver_overdue_webhooks()
    assert attempted == [lost.pk, late_retry.pk]
    assert fresh.pk not in delivery.deliveries_overdue(now=now)
