"""One delivery attempt: a signed POST, logged; retried with exponential backoff.

Settings (all optional): WEBHOOK_TIMEOUT (s, default 5), WEBHOOK_MAX_ATTEMPTS (6),
WEBHOOK_RETRY_BASE_SECONDS (30: then 60, 120, ... capped at WEBHOOK_RETRY_MAX_SECONDS,
3600), WEBHOOK_DISABLE_AFTER (15 failed attempts in a row disable the subscription).
A 2xx answer is success; anything else, a timeout or a refused connection is a failure.
Redirects are not followed.
"""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from webhooks import signing
from webhooks.dispatch import _forget
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default)


def timeout() -> float:
    return float(_setting("WEBHOOK_TIMEOUT", 5))


def max_attempts() -> int:
    return int(_setting("WEBHOOK_MAX_ATTEMPTS", 6))


def disable_after() -> int:
    return int(_setting("WEBHOOK_DISABLE_AFTER", 15))


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based)."""
    base = float(_setting("WEBHOOK_RETRY_BASE_SECONDS", 30))
    return min(base * 2 ** (attempt - 1), float(_setting("WEBHOOK_RETRY_MAX_SECONDS", 3600)))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx surfaces as an HTTPError: a failed attempt


# No proxies from the environment: the receiver is reached directly.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass
class Result:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict) -> Result:
    started = time.monotonic()
    status_code, error = None, ""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout()) as response:
            status_code = response.status
            response.read(4096)
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code} {exc.reason}"
        exc.close()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    duration_ms = int((time.monotonic() - started) * 1000)
    return Result(status_code, error[:500], duration_ms)


def attempt(delivery_pk: int) -> float | None:
    """Make the next attempt of a delivery; answer the delay before a retry, or None."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_pk).first()
    if delivery is None or delivery.status not in {
        WebhookDelivery.Status.PENDING,
        WebhookDelivery.Status.RETRYING,
    }:
        return None
    subscription = delivery.subscription
    now = timezone.now()
    if not subscription.active:
        delivery.status, delivery.finished_at = WebhookDelivery.Status.CANCELLED, now
        delivery.last_error = "The subscription is disabled."
        delivery.save(update_fields=["status", "finished_at", "last_error"])
        return None
    number = delivery.attempts + 1
    body = delivery.body.encode()
    headers = signing.headers(
        subscription.secret,
        body,
        kind=delivery.kind,
        event_id=str(delivery.event_id),
        timestamp=int(time.time()),
    )
    result = post(subscription.url, body, headers)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempt=number,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        delivery.attempts = number
        delivery.last_status_code, delivery.last_error = result.status_code, result.error
        retry_in = None
        if result.ok:
            delivery.status, delivery.finished_at = WebhookDelivery.Status.SUCCEEDED, now
            delivery.next_attempt_at = None
            WebhookSubscription.objects.filter(
                pk=subscription.pk, consecutive_failures__gt=0
            ).update(consecutive_failures=0)
        else:
            disabled = _count_failure(subscription.pk)
            if disabled or number >= max_attempts():
                delivery.status, delivery.finished_at = WebhookDelivery.Status.FAILED, now
                delivery.next_attempt_at = None
            else:
                retry_in = backoff(number)
                delivery.status = WebhookDelivery.Status.RETRYING
                delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        delivery.save()
    return retry_in


def _count_failure(subscription_pk: int) -> bool:
    """Count a failed attempt; disable the subscription at the limit. True if disabled."""
    WebhookSubscription.objects.filter(pk=subscription_pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = disable_after()
    disabled = WebhookSubscription.objects.filter(
        pk=subscription_pk, active=True, consecutive_failures__gte=limit
    ).update(
        active=False,
        disabled_at=timezone.now(),
        disabled_reason=f"Disabled after {limit} failed deliveries in a row.",
    )
    if disabled:
        _forget()
    return (
        bool(disabled)
        or not WebhookSubscription.objects.filter(pk=subscription_pk, active=True).exists()
    )


#: A delivery whose queued attempt is this late was lost with the broker (a Redis
#: restart empties its queue): the sweep makes the attempt.
OVERDUE_AFTER = timedelta(minutes=2)


def deliveries_overdue(*, now=None, limit: int = 40) -> list[int]:
    """Pending deliveries never attempted, and retries past their time, by OVERDUE_AFTER."""
    late = (now or timezone.now()) - OVERDUE_AFTER
    pending = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, attempts=0, created_at__lte=late
    )
    retrying = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.RETRYING, next_attempt_at__lte=late
    )
    return list((pending | retrying).order_by("pk").values_list("pk", flat=True)[:limit])
