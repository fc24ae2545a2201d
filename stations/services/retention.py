"""Retention of the two largest tables: meter samples and the OCPP message log.

Both are pruned in batches walked in primary-key order, each batch one short
transaction, so a prune never locks a table or holds a long transaction while
stations keep writing; a run stopped half-way loses nothing and the next run carries
on. Meter samples are first rolled up into a `SessionMeterSummary` per session, in
the same transaction as their delete, so running twice gives the same summary.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from stations.metering import WHOLE_METER_ENERGY, WHOLE_METER_POWER
from stations.models import ChargingSession, MeterSample, OcppMessage, SessionMeterSummary

BATCH_SIZE = 5000
CURRENT = "Current.Import"

# What each roll-up reads: the whole-meter register (as billing does), whole-meter
# power, and the current of any phase.
_ENERGY = WHOLE_METER_ENERGY
_POWER = WHOLE_METER_POWER
_CURRENT = Q(measurand=CURRENT)


@dataclass(frozen=True)
class Rollup:
    """The figures of one session's samples in one batch."""

    session_id: int
    count: int
    first_at: datetime
    last_at: datetime
    energy_min: Decimal | None = None
    energy_max: Decimal | None = None
    power_max: Decimal | None = None
    power_sum: Decimal | None = None
    power_count: int = 0
    current_max: Decimal | None = None


def _cutoff(days: int, now: datetime | None) -> datetime:
    if days < 1:
        raise ValueError(f"retention must be at least one day, not {days}")
    return (now or timezone.now()) - timedelta(days=days)


def _check_batch(batch_size: int) -> None:
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, not {batch_size}")


# --- meter samples ------------------------------------------------------------------


def meter_samples_prune(
    *,
    older_than_days: int | None = None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> int:
    """Roll up and delete samples older than the retention; return how many went.

    Only samples of sessions that are ended and priced, or ended before the cutoff, go
    (billing's power tiers read samples); so do old samples of no session.
    """
    days = settings.METER_SAMPLE_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = _cutoff(days, now)
    _check_batch(batch_size)
    deleted, after = 0, 0
    while True:
        with transaction.atomic():
            ids = _prunable_sample_ids(cutoff, after, batch_size)
            if not ids:
                return deleted
            summaries_merge(_rollups(ids))
            deleted += MeterSample.objects.filter(pk__in=ids).delete()[0]
        after = ids[-1]


def _prunable_sample_ids(cutoff: datetime, after: int, batch_size: int) -> list[int]:
    ended = Q(session__state=ChargingSession.State.ENDED)
    # Priced: billing stored the session's charge (read by the relation's name only).
    settled = Q(session__charge__isnull=False) | Q(session__ended_at__lt=cutoff)
    old = MeterSample.objects.filter(
        Q(session__isnull=True) | (ended & settled), timestamp__lt=cutoff, pk__gt=after
    )
    # Rows another run holds are skipped, so no sample is ever summed twice.
    locked = old.order_by("pk").select_for_update(skip_locked=True, of=("self",))
    return list(locked.values_list("pk", flat=True)[:batch_size])


def _rollups(ids: list[int]) -> list[Rollup]:
    rows = (
        MeterSample.objects.filter(pk__in=ids, session__isnull=False)
        .order_by()  # no default ordering in the GROUP BY
        .values("session_id")
        .annotate(
            count=Count("pk"),
            first_at=Min("timestamp"),
            last_at=Max("timestamp"),
            energy_min=Min("value", filter=_ENERGY),
            energy_max=Max("value", filter=_ENERGY),
            power_max=Max("value", filter=_POWER),
            power_sum=Sum("value", filter=_POWER),
            power_count=Count("pk", filter=_POWER),
            current_max=Max("value", filter=_CURRENT),
        )
    )
    return [Rollup(**row) for row in rows]


def summaries_merge(rollups: list[Rollup]) -> None:
    """Add each roll-up to its session's summary (created on first sight)."""
    by_session = {rollup.session_id: rollup for rollup in rollups}
    if not by_session:
        return
    existing = {
        summary.session_id: summary
        for summary in SessionMeterSummary.objects.select_for_update(no_key=True).filter(
            session_id__in=by_session
        )
    }
    now = timezone.now()
    created = []
    for session_id, rollup in by_session.items():
        summary = existing.get(session_id)
        if summary is None:
            summary = SessionMeterSummary(
                session_id=session_id, first_at=rollup.first_at, last_at=rollup.last_at
            )
            created.append(summary)
        summary_add(summary, rollup)
        summary.updated_at = now  # bulk_update leaves auto_now alone
    SessionMeterSummary.objects.bulk_create(created)
    SessionMeterSummary.objects.bulk_update(
        [existing[pk] for pk in existing], _SUMMARY_FIELDS, batch_size=500
    )


_SUMMARY_FIELDS = [
    "sample_count",
    "first_at",
    "last_at",
    "energy_first_wh",
    "energy_last_wh",
    "power_max_w",
    "power_avg_w",
    "power_samples",
    "power_sum_w",
    "current_max_a",
    "updated_at",
]


def summary_add(summary: SessionMeterSummary, rollup: Rollup) -> None:
    """Merge a roll-up in; order does not matter (minima, maxima, sums and counts).

    The energy register only counts up, so its lowest reading is the first and its
    highest the last, whichever batch they were pruned in.
    """
    fresh = summary.sample_count == 0
    summary.sample_count += rollup.count
    summary.first_at = rollup.first_at if fresh else min(summary.first_at, rollup.first_at)
    summary.last_at = rollup.last_at if fresh else max(summary.last_at, rollup.last_at)
    summary.energy_first_wh = _least(summary.energy_first_wh, _whole(rollup.energy_min))
    summary.energy_last_wh = _most(summary.energy_last_wh, _whole(rollup.energy_max))
    summary.power_max_w = _most(summary.power_max_w, _whole(rollup.power_max))
    summary.current_max_a = _most(summary.current_max_a, rollup.current_max)
    if rollup.power_count:
        summary.power_samples += rollup.power_count
        summary.power_sum_w = Decimal(summary.power_sum_w) + rollup.power_sum
        summary.power_avg_w = _whole(summary.power_sum_w / summary.power_samples)


def _whole(value: Decimal | None) -> int | None:
    """Integer Wh/W, half up (a meter's 0.5 Wh is as likely up as down)."""
    if value is None:
        return None
    return int(Decimal(value).to_integral_value(rounding=ROUND_HALF_UP))


def _least(a, b):
    return b if a is None else a if b is None else min(a, b)


def _most(a, b):
    return b if a is None else a if b is None else max(a, b)


# --- OCPP message log ---------------------------------------------------------------


def message_log_prune(
    *,
    older_than_days: int | None = None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> int:
    """Delete frames older than OCPP_MESSAGE_RETENTION_DAYS, in batches; return how many."""
    days = settings.OCPP_MESSAGE_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = _cutoff(days, now)
    _check_batch(batch_size)
    old = OcppMessage.objects.filter(created_at__lt=cutoff)
    deleted, after = 0, 0
    while True:
        ids = list(
            old.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        # One short DELETE between two primary keys (autocommit): only old rows go.
        deleted += old.filter(pk__gte=ids[0], pk__lte=ids[-1]).delete()[0]
        after = ids[-1]
