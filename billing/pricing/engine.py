"""tariff_price_session: a tariff and a session's facts in, itemised price out.

Rounding, once and documented: every line's amount is rounded to the currency's minor
unit with ROUND_HALF_UP; the net total is the sum of the rounded lines; tax is the net
total times the tax rate, rounded the same way; gross = net + tax. Quantities are not
rounded: energy is exact to the Wh, time is counted in whole started blocks (a block
of 1 minute prorates by the started minute). Every started block of charging time and
every started minute of idle time beyond the grace period counts.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from billing.pricing import power, timeofuse
from billing.pricing.energy import energy_at_cuts
from billing.pricing.facts import (
    IDLE_STATUSES,
    ZERO,
    Price,
    PriceLine,
    SessionFacts,
    TariffSpec,
)
from billing.pricing.money import round_money

US = timedelta(microseconds=1)
ONE_MINUTE_US = 60_000_000
MINUTES_PER_HOUR = Decimal(60)
# A prepaid session is stopped by ChargeNet when its block runs out; a stop that
# takes a little longer to reach the station never costs the driver another block.
PREPAID_STOP_TOLERANCE = timedelta(minutes=5)
_US = timedelta(microseconds=1)


def tariff_price_session(tariff: TariffSpec, facts: SessionFacts) -> Price:
    """Price one session (ended, or running up to `facts.priced_at`) under `tariff`.

    Lines, in order: session fee, energy (per time-of-use price), charging time (per
    time-of-use price, or the session's power tier, or prepaid blocks), idle fee, then
    an adjustment up to the minimum or down to the maximum price. Lines with nothing
    to charge are left out. All amounts are net of tax (see the module docstring).
    """
    end = facts.end
    segments = timeofuse.pieces(tariff.time_of_use, facts.started_at, end, facts.timezone)
    lines = [
        *_session_fee(tariff),
        *_energy(tariff, facts, segments),
        *(_tiered_time(tariff, facts) if tariff.power_tiers else _time(tariff, facts, segments)),
        *_idle(tariff, facts),
    ]
    lines += _minimum_maximum(tariff, sum((line.amount for line in lines), ZERO))
    net = sum((line.amount for line in lines), ZERO)
    tax = round_money(net * tariff.tax_rate_percent / 100, tariff.currency)
    return Price(
        currency=tariff.currency,
        lines=tuple(lines),
        net=net,
        tax_rate_percent=tariff.tax_rate_percent,
        tax=tax,
        gross=net + tax,
    )


def _line(tariff, kind, description, quantity, unit, unit_price, price_unit, exact) -> PriceLine:
    return PriceLine(
        kind=kind,
        description=description,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        price_unit=price_unit,
        amount=round_money(exact, tariff.currency),
    )


def _session_fee(tariff: TariffSpec) -> list[PriceLine]:
    if not tariff.session_fee:
        return []
    fee = tariff.session_fee
    return [_line(tariff, "session_fee", "Session fee", Decimal(1), "session", fee, "session", fee)]


def _labelled(text: str, label: str | None) -> str:
    return f"{text} ({label})" if label else text


# --- energy ---------------------------------------------------------------------


def _energy(tariff: TariffSpec, facts: SessionFacts, segments) -> list[PriceLine]:
    """Energy at the price in force when it was delivered, one line per price."""
    keys = [_energy_key(tariff, rule) for _, _, rule in segments]
    if all(price == 0 for _, price in keys) or facts.energy_wh <= 0:
        return []
    if len(set(keys)) == 1:
        per_key = {keys[0]: max(0, facts.energy_wh)}
    else:
        cuts = energy_at_cuts(facts, [segments[0][0], *(b for _, b, _ in segments)])
        per_key = {}
        for key, before, after in zip(keys, cuts, cuts[1:], strict=False):
            per_key[key] = per_key.get(key, 0) + after - before
    return [
        _line(tariff, "energy", _labelled("Energy", label), kwh, "kWh", price, "kWh", kwh * price)
        for (label, price), wh in per_key.items()
        if price and (kwh := Decimal(wh).scaleb(-3))  # exact, to the Wh
    ]


def _energy_key(tariff: TariffSpec, rule) -> tuple[str | None, Decimal]:
    if rule is not None and rule.energy_price_per_kwh is not None:
        return rule.label, rule.energy_price_per_kwh
    return None, tariff.energy_price_per_kwh


# --- time -----------------------------------------------------------------------


def _blocks_between(facts: SessionFacts, a: datetime, b: datetime, block_us: int) -> int:
    """Blocks (anchored at the start, the last one started) that begin within [a, b)."""
    start = facts.started_at
    return -(-((b - start) // US) // block_us) - -(-((a - start) // US) // block_us)


def _time(tariff: TariffSpec, facts: SessionFacts, segments) -> list[PriceLine]:
    """Charging time: each started block priced at the rate in force when it began."""
    block_minutes = max(1, tariff.time_block_minutes)
    per_key: dict[tuple[str | None, Decimal], int] = {}
    for a, b, rule in segments:
        key = _time_key(tariff, rule)
        blocks = _blocks_between(facts, a, b, block_minutes * ONE_MINUTE_US)
        per_key[key] = per_key.get(key, 0) + blocks
    return [
        _time_line(tariff, _labelled("Charging time", label), blocks * block_minutes, price)
        for (label, price), blocks in per_key.items()
        if price and blocks
    ]


def _time_key(tariff: TariffSpec, rule) -> tuple[str | None, Decimal]:
    if rule is not None and rule.time_price_per_hour is not None:
        return rule.label, rule.time_price_per_hour
    return None, tariff.time_price_per_hour


def _time_line(tariff, description, minutes: int, per_hour: Decimal, kind="time") -> PriceLine:
    exact = Decimal(minutes) * per_hour / MINUTES_PER_HOUR
    return _line(tariff, kind, description, Decimal(minutes), "min", per_hour, "h", exact)


def _tiered_time(tariff: TariffSpec, facts: SessionFacts) -> list[PriceLine]:
    """E-bike piles: the hourly price of the session's sustained-peak power tier."""
    tier, peak = power.session_tier(tariff, facts)
    label = power.tier_label(tariff.power_tiers, tier)
    peak_text = f"sustained peak {peak.quantize(Decimal(1))} W"
    if tariff.prepaid_block_price:
        return _prepaid_blocks(tariff, facts, tier, f"Prepaid block at {label}, {peak_text}")
    block_minutes = max(1, tariff.time_block_minutes)
    blocks = _blocks_between(facts, facts.started_at, facts.end, block_minutes * ONE_MINUTE_US)
    if not blocks or not tier.price_per_hour:
        return []
    description = f"Charging time at {label}, {peak_text}"
    return [
        _time_line(tariff, description, blocks * block_minutes, tier.price_per_hour, "power_tier")
    ]


def _prepaid_blocks(tariff: TariffSpec, facts: SessionFacts, tier, description) -> list[PriceLine]:
    """One block is paid up front; overrunning it (beyond the stop tolerance) buys more."""
    length = power.prepaid_block_length(tariff, tier)
    blocks = 1
    overrun = facts.end - facts.started_at - PREPAID_STOP_TOLERANCE
    if length and overrun > timedelta(0):
        blocks = max(1, -(-overrun // length))
    if length:
        minutes = length // timedelta(minutes=1)
        description += f", up to {minutes // 60} h {minutes % 60:02d} min per block"
    price = tariff.prepaid_block_price
    lines = [
        _line(
            tariff,
            "prepaid_block",
            description,
            Decimal(blocks),
            "block",
            price,
            "block",
            blocks * price,
        )
    ]
    unused = blocks * length - (facts.end - facts.started_at) if length else timedelta(0)
    if facts.safety_stop and unused > timedelta(0):
        # The driver gets back what they paid for and could not use.
        minutes = Decimal(unused // timedelta(seconds=1)) / 60
        lines.append(
            _line(
                tariff,
                "prepaid_refund",
                "Unused prepaid time refunded: stopped for safety",
                minutes.quantize(Decimal("0.1")),
                "min",
                price,
                "block",
                -price * Decimal(unused // _US) / Decimal(length // _US),
            )
        )
    return lines


# --- idle -----------------------------------------------------------------------


def idle_time(facts: SessionFacts) -> timedelta:
    """Time from the start in SuspendedEV or Finishing (overlaps counted once)."""
    spans = sorted(
        (max(p.start, facts.started_at), p.end or facts.priced_at or facts.end)
        for p in facts.status_periods
        if p.status in IDLE_STATUSES
    )
    total, covered_until = timedelta(0), facts.started_at
    for a, b in spans:
        a = max(a, covered_until)
        if b > a:
            total += b - a
            covered_until = b
    return total


def _idle(tariff: TariffSpec, facts: SessionFacts) -> list[PriceLine]:
    """Per started minute idle beyond the grace period, up to the cap."""
    if not tariff.idle_price_per_minute:
        return []
    billable = idle_time(facts) - timedelta(minutes=tariff.idle_grace_minutes)
    if billable <= timedelta(0):
        return []
    minutes = -(-(billable // US) // ONE_MINUTE_US)
    price = tariff.idle_price_per_minute
    exact = minutes * price
    description = f"Idle fee after {tariff.idle_grace_minutes} min grace"
    if tariff.idle_fee_cap is not None and exact > tariff.idle_fee_cap:
        exact = tariff.idle_fee_cap
        description += f", capped at {tariff.idle_fee_cap}"
    return [_line(tariff, "idle", description, Decimal(minutes), "min", price, "min", exact)]


# --- minimum and maximum ----------------------------------------------------------


def _minimum_maximum(tariff: TariffSpec, subtotal: Decimal) -> list[PriceLine]:
    """An adjustment line that lifts the net total to the minimum or caps it at the maximum."""
    target = subtotal
    if tariff.minimum_price is not None:
        target = max(target, round_money(tariff.minimum_price, tariff.currency))
    if tariff.maximum_price is not None:
        target = min(target, round_money(tariff.maximum_price, tariff.currency))
    if target == subtotal:
        return []
    kind, text = ("minimum", "Minimum price") if target > subtotal else ("maximum", "Maximum price")
    adjustment = target - subtotal
    return [_line(tariff, kind, text, Decimal(1), "session", adjustment, "session", adjustment)]
