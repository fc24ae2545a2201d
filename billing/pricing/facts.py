"""What pricing needs to know: the tariff and the session's facts, as plain values.

These are frozen dataclasses, not models, so `tariff_price_session` stays a pure
function: the same tariff and facts always give the same price, with no database.
"""

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

ZERO = Decimal(0)
# Connector statuses in which a car occupies the connector without drawing power
# (OCPP 1.6 §4.9 ChargePointStatus; 2.0.1 charging states are mapped onto these).
IDLE_STATUSES = frozenset({"SuspendedEV", "Finishing"})


@dataclass(frozen=True)
class TimeOfUseRule:
    """Prices in force on some weekdays between two local times of day.

    `weekdays` counts Monday as 0. An `end` at or before `start` runs past midnight
    into the next day (22:00-06:00 on Friday covers Saturday 00:00-06:00 too); equal
    times cover 24 hours. A None price leaves the tariff's base price in force.
    """

    label: str
    weekdays: frozenset[int]
    start: time
    end: time
    energy_price_per_kwh: Decimal | None = None
    time_price_per_hour: Decimal | None = None


@dataclass(frozen=True)
class PowerTier:
    """An hourly price for sessions whose sustained peak power is at most `up_to_w`."""

    up_to_w: int | None  # None: no upper bound (the top tier)
    price_per_hour: Decimal


@dataclass(frozen=True)
class TariffSpec:
    """A tariff as plain values; every price is net of tax, in `currency`.

    Charging time is the session's duration, from its start to its stop. Components
    with a zero (or None) price are simply not charged. With power tiers
    the tier's hourly price replaces `time_price_per_hour` (and time-of-use time prices).
    `time_block_minutes` = 1 prorates time by the started minute; 15 bills started
    quarter hours. A `prepaid_block_price` sells tiered time as prepaid blocks: one
    block buys `prepaid_block_price / tier price per hour` hours.
    """

    currency: str
    tax_rate_percent: Decimal = ZERO
    name: str = ""
    energy_price_per_kwh: Decimal = ZERO
    time_price_per_hour: Decimal = ZERO
    time_block_minutes: int = 1
    session_fee: Decimal = ZERO
    idle_price_per_minute: Decimal = ZERO
    idle_grace_minutes: int = 0
    idle_fee_cap: Decimal | None = None
    time_of_use: tuple[TimeOfUseRule, ...] = ()
    power_tiers: tuple[PowerTier, ...] = ()
    tier_sustain_seconds: int = 60
    prepaid_block_price: Decimal | None = None
    minimum_price: Decimal | None = None
    maximum_price: Decimal | None = None


@dataclass(frozen=True)
class Reading:
    """One metering moment: power in W and/or the energy register in Wh."""

    at: datetime
    power_w: Decimal | int | None = None
    energy_wh: Decimal | int | None = None


@dataclass(frozen=True)
class StatusPeriod:
    """The connector was in `status` from `start` until `end` (None: still is)."""

    status: str
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class SessionFacts:
    """What happened in one session.

    `ended_at` None means the session is still running: it is priced up to
    `priced_at`, which also closes status periods that are still open. `readings`
    carry the energy register (absolute, like `meter_start_wh`) and active power.
    Status periods are counted as given: the caller passes those that concern the
    session, including the Finishing period after the stop while the car blocks the plug.
    """

    started_at: datetime
    ended_at: datetime | None
    energy_wh: int
    meter_start_wh: int = 0
    readings: tuple[Reading, ...] = ()
    status_periods: tuple[StatusPeriod, ...] = ()
    timezone: str = "UTC"
    priced_at: datetime | None = None
    # The station was stopped for safety (an e-bike overload or over-temperature): a
    # prepaid block's unused part is refunded.
    safety_stop: bool = False

    @property
    def end(self) -> datetime:
        """When pricing stops counting time: the stop, or `priced_at` while running."""
        end = self.ended_at or self.priced_at
        if end is None:
            raise ValueError("A running session needs priced_at.")
        return max(end, self.started_at)


@dataclass(frozen=True)
class PriceLine:
    """One priced component: `quantity` `unit` at `unit_price` per `price_unit`."""

    kind: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    price_unit: str
    amount: Decimal

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "description": self.description,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "unit_price": str(self.unit_price),
            "price_unit": self.price_unit,
            "amount": str(self.amount),
        }


@dataclass(frozen=True)
class Price:
    """Itemised lines and totals: net = sum of line amounts, gross = net + tax."""

    currency: str
    lines: tuple[PriceLine, ...]
    net: Decimal
    tax_rate_percent: Decimal
    tax: Decimal
    gross: Decimal

    def lines_json(self) -> list[dict]:
        return [line.as_json() for line in self.lines]
