"""Pricing: pure functions from a tariff and a session's facts to an itemised price.

Nothing here touches the database, so pricing is testable by hand-computed examples
and fast enough to price a month of sessions in memory (billing/bench.py).
"""

from billing.pricing.engine import idle_time, tariff_price_session
from billing.pricing.facts import (
    IDLE_STATUSES,
    PowerTier,
    Price,
    PriceLine,
    Reading,
    SessionFacts,
    StatusPeriod,
    TariffSpec,
    TimeOfUseRule,
)
from billing.pricing.money import CURRENCIES, is_currency, minor_unit, round_money
from billing.pricing.power import prepaid_block_ends_at, sustained_peak_w

__all__ = [
    "CURRENCIES",
    "IDLE_STATUSES",
    "PowerTier",
    "Price",
    "PriceLine",
    "Reading",
    "SessionFacts",
    "StatusPeriod",
    "TariffSpec",
    "TimeOfUseRule",
    "idle_time",
    "is_currency",
    "minor_unit",
    "prepaid_block_ends_at",
    "round_money",
    "sustained_peak_w",
    "tariff_price_session",
]
