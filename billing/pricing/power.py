"""Power tiers for e-bike piles: the sustained peak power, its tier, prepaid blocks."""

from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal

from billing.pricing.facts import ZERO, PowerTier, SessionFacts, TariffSpec

MICROSECONDS_PER_HOUR = 3_600_000_000


def sustained_peak_w(facts: SessionFacts, sustain_seconds: int) -> Decimal:
    """The highest power the session held for `sustain_seconds` without a break.

    Each power reading holds until the next one (the last until the session's end), so
    a spike shorter than the window never lifts the tier. A session shorter than the
    window uses its whole length. Without power readings: the average power.
    """
    end = facts.end
    points = sorted(
        (r.at, Decimal(r.power_w))
        for r in facts.readings
        if r.power_w is not None and facts.started_at <= r.at <= end
    )
    if not points:
        return _average_power_w(facts)
    times = [at for at, _ in points] + [end]
    window = min(timedelta(seconds=sustain_seconds), end - times[0])
    best, lows, last = ZERO, deque(), -1  # lows: indices, rising powers
    for first in range(len(points)):
        while last < first or (last + 1 < len(points) and times[last + 1] - times[first] < window):
            last += 1
            while lows and points[lows[-1]][1] >= points[last][1]:
                lows.pop()
            lows.append(last)
        if times[last + 1] - times[first] < window:
            break  # no later reading starts a full window
        best = max(best, points[lows[0]][1])
        if lows[0] == first:
            lows.popleft()
    return best


def _average_power_w(facts: SessionFacts) -> Decimal:
    duration = facts.end - facts.started_at
    if duration <= timedelta(0):
        return ZERO
    microseconds = duration // timedelta(microseconds=1)
    return Decimal(facts.energy_wh * MICROSECONDS_PER_HOUR) / Decimal(microseconds)


def tier_for(tiers: tuple[PowerTier, ...], power_w: Decimal) -> PowerTier:
    """The lowest tier whose bound holds `power_w`; above every bound, the highest."""
    ordered = sorted(tiers, key=lambda t: (t.up_to_w is None, t.up_to_w or 0))
    for tier in ordered:
        if tier.up_to_w is None or power_w <= tier.up_to_w:
            return tier
    return ordered[-1]


def tier_label(tiers: tuple[PowerTier, ...], tier: PowerTier) -> str:
    """'≤200 W', '200–400 W' or '>800 W', from the tier's neighbours."""
    bounds = sorted(t.up_to_w for t in tiers if t.up_to_w is not None)
    if tier.up_to_w is None:
        return f">{bounds[-1]} W" if bounds else "any power"
    below = [b for b in bounds if b < tier.up_to_w]
    return f"{below[-1]}–{tier.up_to_w} W" if below else f"≤{tier.up_to_w} W"


def prepaid_block_length(tariff: TariffSpec, tier: PowerTier) -> timedelta | None:
    """How long one prepaid block lasts at the tier's price; None if time is free."""
    if not tariff.prepaid_block_price or tier.price_per_hour <= 0:
        return None
    microseconds = tariff.prepaid_block_price * MICROSECONDS_PER_HOUR / tier.price_per_hour
    return timedelta(microseconds=int(microseconds))


def session_tier(tariff: TariffSpec, facts: SessionFacts) -> tuple[PowerTier, Decimal]:
    peak = sustained_peak_w(facts, tariff.tier_sustain_seconds)
    return tier_for(tariff.power_tiers, peak), peak


def prepaid_block_ends_at(tariff: TariffSpec, facts: SessionFacts) -> datetime | None:
    """When the session's (first) prepaid block runs out, at the tier measured so far."""
    if not tariff.power_tiers or not tariff.prepaid_block_price:
        return None
    tier, _ = session_tier(tariff, facts)
    length = prepaid_block_length(tariff, tier)
    return None if length is None else facts.started_at + length
