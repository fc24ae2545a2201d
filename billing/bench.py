"""Benchmark: price a month of synthetic sessions with meter readings, in memory.

`make bench` calls `main()`; `sessions_per_second()` returns the figure. Sessions are
generated in chunks and only the pricing is timed, so the figure is what a Celery
worker spends in `tariff_price_session` (no database).
"""

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

from billing.pricing import (
    PowerTier,
    Reading,
    SessionFacts,
    StatusPeriod,
    TariffSpec,
    TimeOfUseRule,
    tariff_price_session,
)

MONTH_START = datetime(2025, 3, 1, tzinfo=UTC)
SAMPLE_INTERVAL = timedelta(minutes=5)
CAR = TariffSpec(
    "EUR",
    Decimal("21"),
    energy_price_per_kwh=Decimal("0.35"),
    idle_price_per_minute=Decimal("0.10"),
    idle_grace_minutes=15,
    idle_fee_cap=Decimal("10.00"),
    session_fee=Decimal("0.50"),
    time_of_use=(
        TimeOfUseRule("Peak", frozenset(range(5)), clock(17), clock(21), Decimal("0.45")),
        TimeOfUseRule("Night", frozenset(range(7)), clock(23), clock(6), Decimal("0.25")),
    ),
    minimum_price=Decimal("1.00"),
)
EBIKE = TariffSpec(
    "CNY",
    power_tiers=(
        PowerTier(200, Decimal("0.25")),
        PowerTier(400, Decimal("0.40")),
        PowerTier(800, Decimal("0.50")),
    ),
    prepaid_block_price=Decimal("1.00"),
)


def _car_session(rng: random.Random) -> SessionFacts:
    start = MONTH_START + timedelta(seconds=rng.randrange(31 * 24 * 3600))
    charging = timedelta(minutes=rng.randrange(20, 480))
    idle = timedelta(minutes=rng.randrange(0, 90))
    watts = rng.choice((3_700, 7_400, 11_000))
    readings, energy, at = [], 0, start
    while at < start + charging + idle:
        power = watts if at < start + charging else 0
        readings.append(Reading(at, power_w=power, energy_wh=10_000 + energy))
        energy += power * 5 // 60
        at += SAMPLE_INTERVAL
    end = start + charging + idle
    periods = (
        StatusPeriod("Charging", start, start + charging),
        StatusPeriod("SuspendedEV", start + charging, end),
        StatusPeriod("Finishing", end, end + timedelta(minutes=rng.randrange(0, 10))),
    )
    return SessionFacts(
        start, end, energy, 10_000, tuple(readings), periods, "Europe/Amsterdam", end
    )


def _ebike_session(rng: random.Random) -> SessionFacts:
    start = MONTH_START + timedelta(seconds=rng.randrange(31 * 24 * 3600))
    duration = timedelta(minutes=rng.randrange(30, 480))
    peak = rng.randrange(80, 800)
    readings = tuple(
        Reading(start + i * SAMPLE_INTERVAL, power_w=max(20, peak - 10 * i))
        for i in range(duration // SAMPLE_INTERVAL)
    )
    energy = sum(r.power_w for r in readings) * 5 // 60
    return SessionFacts(start, start + duration, energy, 0, readings, (), "Asia/Shanghai")


def sessions_per_second(n: int = 100_000, *, seed: int = 1, chunk: int = 5_000) -> float:
    """Price `n` sessions (7 in 10 cars, 3 in 10 e-bikes); return sessions per second."""
    rng = random.Random(seed)
    elapsed = 0.0
    done = 0
    while done < n:
        batch = []
        for _ in range(min(chunk, n - done)):
            if rng.random() < 0.7:
                batch.append((CAR, _car_session(rng)))
            else:
                batch.append((EBIKE, _ebike_session(rng)))
        started = time.perf_counter()
        for tariff, facts in batch:
            tariff_price_session(tariff, facts)
        elapsed += time.perf_counter() - started
        done += len(batch)
    return n / elapsed if elapsed else float("inf")


def main(argv: list[str] | None = None) -> None:
    n = int((argv or sys.argv[1:] or ["100000"])[0])
    rate = sessions_per_second(n)
    print(f"billing: priced {n} sessions with meter readings at {rate:,.0f} sessions/s")


if __name__ == "__main__":
    main()
