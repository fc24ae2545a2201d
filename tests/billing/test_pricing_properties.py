"""Properties of tariff_price_session that hold for any tariff and any session."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.pricing import (
    PowerTier,
    Reading,
    SessionFacts,
    StatusPeriod,
    TariffSpec,
    TimeOfUseRule,
    round_money,
    sustained_peak_w,
    tariff_price_session,
)

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe"]
STATUSES = ["Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Faulted"]

prices = st.decimals(min_value=0, max_value=5, places=4)
optional_prices = st.none() | prices
clock = st.times().map(lambda t: t.replace(second=0, microsecond=0))
starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=2 * 24 * 3600).map(lambda s: timedelta(seconds=s))

rules = st.builds(
    TimeOfUseRule,
    label=st.sampled_from(["Peak", "Night", "Weekend"]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
    start=clock,
    end=clock,
    energy_price_per_kwh=optional_prices,
    time_price_per_hour=optional_prices,
)
tiers = st.lists(
    st.builds(PowerTier, st.none() | st.integers(1, 2000), prices),
    max_size=4,
    unique_by=lambda tier: tier.up_to_w,
).map(tuple)


@st.composite
def tariffs(draw, energy_only=False):
    minimum = draw(optional_prices)
    maximum = draw(optional_prices)
    if minimum is not None and maximum is not None and minimum > maximum:
        minimum, maximum = maximum, minimum
    return TariffSpec(
        currency=draw(st.sampled_from(["EUR", "JPY", "KWD", "CNY"])),
        tax_rate_percent=draw(st.decimals(min_value=0, max_value=30, places=2)),
        energy_price_per_kwh=draw(prices),
        time_price_per_hour=draw(prices),
        time_block_minutes=draw(st.sampled_from([1, 15, 60])),
        session_fee=draw(prices),
        idle_price_per_minute=draw(prices),
        idle_grace_minutes=draw(st.integers(0, 30)),
        idle_fee_cap=draw(optional_prices),
        time_of_use=() if energy_only else tuple(draw(st.lists(rules, max_size=3))),
        power_tiers=() if energy_only else draw(tiers),
        tier_sustain_seconds=draw(st.integers(0, 600)),
        prepaid_block_price=None if energy_only else draw(optional_prices),
        minimum_price=minimum,
        maximum_price=maximum,
    )


@st.composite
def sessions(draw, energy_wh=None):
    start = draw(starts)
    duration = draw(durations)
    end = start + duration
    moments = st.integers(0, int(duration.total_seconds())).map(
        lambda s: start + timedelta(seconds=s)
    )
    energy = draw(st.integers(0, 200_000)) if energy_wh is None else energy_wh
    readings = draw(
        st.lists(
            st.builds(
                Reading,
                moments,
                st.none() | st.integers(0, 22_000),
                st.none() | st.integers(1_000, 1_000 + 250_000),
            ),
            max_size=12,
        )
    )
    periods = draw(
        st.lists(
            st.builds(
                lambda status, a, length: StatusPeriod(
                    status, a, None if length is None else a + length
                ),
                st.sampled_from(STATUSES),
                moments,
                st.none() | durations,
            ),
            max_size=5,
        )
    )
    return SessionFacts(
        started_at=start,
        ended_at=end if draw(st.booleans()) else None,
        energy_wh=energy,
        meter_start_wh=1_000,
        readings=tuple(readings),
        status_periods=tuple(periods),
        timezone=draw(st.sampled_from(ZONES)),
        priced_at=end,
    )


@settings(max_examples=150, deadline=None, database=None)
@given(tariffs(), sessions())
def test_a_price_is_never_negative(tariff, session):
    price = tariff_price_session(tariff, session)

    assert price.net >= 0 and price.tax >= 0 and price.gross >= 0


@settings(max_examples=150, deadline=None, database=None)
@given(tariffs(), sessions())
def test_lines_add_up_to_the_totals_in_minor_units(tariff, session):
    price = tariff_price_session(tariff, session)

    assert sum((line.amount for line in price.lines), Decimal(0)) == price.net
    assert price.net + price.tax == price.gross
    for amount in [price.tax, *(line.amount for line in price.lines)]:
        assert amount == round_money(amount, tariff.currency)


@settings(max_examples=150, deadline=None, database=None)
@given(
    tariffs(energy_only=True),
    sessions(energy_wh=0),
    st.integers(0, 100_000),
    st.integers(0, 100_000),
)
def test_more_energy_never_costs_less_under_an_energy_tariff(tariff, session, a, b):
    less, more = sorted((a, b))

    cheaper = tariff_price_session(tariff, replace(session, energy_wh=less))
    dearer = tariff_price_session(tariff, replace(session, energy_wh=more))

    assert cheaper.gross <= dearer.gross


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(rules, min_size=1, max_size=3), sessions(), prices.filter(bool))
def test_time_of_use_pieces_share_out_all_the_energy(tou_rules, session, base):
    rules_with_prices = tuple(
        TimeOfUseRule(r.label, r.weekdays, r.start, r.end, r.energy_price_per_kwh or base)
        for r in tou_rules
    )
    tariff = TariffSpec("EUR", energy_price_per_kwh=base, time_of_use=rules_with_prices)

    price = tariff_price_session(tariff, session)

    assert sum((line.quantity for line in price.lines), Decimal(0)) * 1000 == session.energy_wh


@settings(max_examples=100, deadline=None, database=None)
@given(sessions(), st.integers(0, 3600))
def test_sustained_peak_never_exceeds_the_highest_reading(session, sustain):
    peak = sustained_peak_w(session, sustain)
    readings = [
        r.power_w
        for r in session.readings
        if r.power_w is not None and session.started_at <= r.at <= session.end
    ]

    assert peak >= 0
    if readings:
        assert peak <= max(readings)
