"""Outgoing OCPI calls that must arrive: queued as `Delivery` rows, sent in order per
party by the task `ocpi.tasks.push_party`, retried with exponential backoff.

A party that is down keeps its deliveries queued: the oldest one blocks the rest (so
an EVSE's statuses never arrive out of order), is retried after 30 s, 60 s, ... (capped
at an hour; settings OCPI_RETRY_BASE_SECONDS, OCPI_RETRY_MAX_SECONDS) and given up
after OCPI_MAX_ATTEMPTS (10) attempts, then the next one goes. The beat task
`ocpi.tasks.push_due` picks up every party with a due delivery each minute, which
also covers the embedded mode, where Celery's countdowns do not exist.
"""

import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from chargenet.celery import enqueue_on_commit
from ocpi import client
from ocpi.models import Delivery, Party

OPEN = (Delivery.Status.PENDING, Delivery.Status.RETRYING)
#: How long a sender's claim on a party holds without renewal (renewed before each
#: call): a sender that died lets the next one in after this.
CLAIM_SECONDS = 120


def backoff(attempt: int) -> float:
    base = float(getattr(settings, "OCPI_RETRY_BASE_SECONDS", 30))
    cap = float(getattr(settings, "OCPI_RETRY_MAX_SECONDS", 3600))
    return min(base * 2 ** (attempt - 1), cap)


def max_attempts() -> int:
    return int(getattr(settings, "OCPI_MAX_ATTEMPTS", 10))


def queue(
    party: Party, module: str, method: str, url: str, body: object, once: str | None = None
) -> Delivery | None:
    """Store one call for `party` and have it sent once the transaction commits.

    A call with a `once` key is stored only the first time (None after that)."""
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                party=party,
                module=module,
                method=method,
                url=url,
                body=json.dumps(body, separators=(",", ":")) if body is not None else "",
                once=once,
            )
    except IntegrityError:
        if once is None:
            raise
        return None  # made already, perhaps by a pricing running beside this one
    enqueue_on_commit("ocpi.tasks.push_party", party.pk)
    return delivery


def push_party(party_pk: int) -> float | None:
    """Send the party's due deliveries, oldest first; stop at the first failure.

    One sender per party at a time (a claim on the party row): two tasks for the same
    party would otherwise both send its oldest delivery. A task that finds the party
    claimed leaves the work to the holder, which looks again after letting go.
    Answers the seconds until its oldest open delivery is due again, or None.
    """
    while _claim(party_pk):
        try:
            retry_in = _push_claimed(party_pk)
        finally:
            Party.objects.filter(pk=party_pk).update(pushing_until=None)
        if retry_in is not None or not _due().filter(party_id=party_pk).exists():
            return retry_in
    return None


def _claim(party_pk: int) -> bool:
    now = timezone.now()
    return bool(
        Party.objects.filter(pk=party_pk)
        .filter(Q(pushing_until__isnull=True) | Q(pushing_until__lt=now))
        .update(pushing_until=now + timedelta(seconds=CLAIM_SECONDS))
    )


def _due():
    return Delivery.objects.filter(status__in=OPEN).exclude(next_attempt_at__gt=timezone.now())


def _push_claimed(party_pk: int) -> float | None:
    while True:
        delivery = (
            Delivery.objects.select_related("party")
            .filter(party_id=party_pk, status__in=OPEN)
            .order_by("id")
            .first()
        )
        if delivery is None:
            return None
        now = timezone.now()
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return (delivery.next_attempt_at - now).total_seconds()
        Party.objects.filter(pk=party_pk).update(
            pushing_until=now + timedelta(seconds=CLAIM_SECONDS)
        )
        if not attempt(delivery) and delivery.status == Delivery.Status.RETRYING:
            return backoff(delivery.attempts)


def attempt(delivery: Delivery) -> bool:
    """One HTTP call of a delivery, logged on it. True when the party took it."""
    party = delivery.party
    now = timezone.now()
    if party.status != Party.Status.REGISTERED or not party.token_b:
        delivery.status, delivery.finished_at = Delivery.Status.CANCELLED, now
        delivery.last_error = "The party is not registered."
        delivery.save()
        return False
    body = json.loads(delivery.body) if delivery.body else None
    answer = client.call(
        delivery.url, party.token_b, delivery.method, body, request_id=str(delivery.request_id)
    )
    with transaction.atomic():
        delivery.attempts += 1
        delivery.last_status_code = answer.status_code
        delivery.last_ocpi_status = answer.ocpi_status
        delivery.last_error = "" if answer.ok else answer.describe()
        if answer.ok:
            delivery.status, delivery.finished_at = Delivery.Status.SUCCEEDED, now
            delivery.next_attempt_at = None
        elif delivery.attempts >= max_attempts() or _refused_for_good(answer):
            delivery.status, delivery.finished_at = Delivery.Status.FAILED, now
            delivery.next_attempt_at = None
        else:
            delivery.status = Delivery.Status.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=backoff(delivery.attempts))
        delivery.save()
    return answer.ok


def _refused_for_good(answer: client.Answer) -> bool:
    """The party read the call and refused its content (2xxx): sending it again
    changes nothing."""
    status = answer.ocpi_status
    return answer.status_code == 200 and status is not None and 2000 <= status < 3000


def due_parties() -> list[int]:
    return list(_due().values_list("party_id", flat=True).distinct())
