"""The pricing benchmark runs and reports a rate (its speed is measured, never asserted)."""

import random

from billing import bench
from billing.pricing import tariff_price_session


def test_bench_prices_sessions_and_returns_a_rate():
    assert bench.sessions_per_second(200, chunk=64) > 0


def test_bench_prints_sessions_per_second(capsys):
    bench.main(["50"])

    assert "priced 50 sessions" in capsys.readouterr().out


def test_synthetic_sessions_price_to_sensible_totals():
    rng = random.Random(3)
    car = tariff_price_session(bench.CAR, bench._car_session(rng))
    bike = tariff_price_session(bench.EBIKE, bench._ebike_session(rng))

    assert car.gross >= 1 and car.currency == "EUR"  # the minimum price, at least
    assert bike.net % 1 == 0 and bike.currency == "CNY"  # whole prepaid blocks of 1.00
