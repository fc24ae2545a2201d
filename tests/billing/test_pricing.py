"""tariff_price_session: every component against prices worked out by hand."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

import pytest

from billing.pricing import (
    PowerTier,
    Reading,
    SessionFacts,
    StatusPeriod,
    TariffSpec,
    TimeOfUseRule,
    prepaid_block_ends_at,
    round_money,
    sustained_peak_w,
    tariff_price_session,
)
from billing.pricing.derive import idle_periods_from_readings

T0 = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)  # a Wednesday
WEEKDAYS = frozenset(range(5))
EBIKE_TIERS = (
    PowerTier(200, D("0.25")),
    PowerTier(400, D("0.40")),
    PowerTier(800, D("0.50")),
)


def facts(minutes=60, energy_wh=0, start=T0, **fields) -> SessionFacts:
    return SessionFacts(
        started_at=start, ended_at=start + timedelta(minutes=minutes), energy_wh=energy_wh, **fields
    )


def amounts(price) -> dict[str, D]:
    return {line.description: line.amount for line in price.lines}


def power_readings(start, *minute_watts) -> tuple[Reading, ...]:
    return tuple(Reading(start + timedelta(minutes=m), power_w=w) for m, w in minute_watts)


# --- energy, rounding, tax ----------------------------------------------------------


def test_energy_is_priced_per_kwh_and_taxed():
    tariff = TariffSpec("EUR", D("21"), energy_price_per_kwh=D("0.30"))

    price = tariff_price_session(tariff, facts(energy_wh=12_345))

    # 12.345 kWh x 0.30 = 3.7035 -> 3.70; tax 21% of 3.70 = 0.777 -> 0.78
    (line,) = price.lines
    assert (line.kind, line.quantity, line.unit, line.amount) == (
        "energy",
        D("12.345"),
        "kWh",
        D("3.70"),
    )
    assert (price.net, price.tax, price.gross) == (D("3.70"), D("0.78"), D("4.48"))


def test_half_a_cent_rounds_up():
    tariff = TariffSpec("EUR", energy_price_per_kwh=D("0.10"))

    # 0.250 kWh x 0.10 = 0.025: half up gives 0.03 (banker's rounding would give 0.02)
    assert tariff_price_session(tariff, facts(energy_wh=250)).net == D("0.03")


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("EUR", D("0.03")), ("JPY", D("0")), ("KWD", D("0.025"))],
)
def test_rounding_follows_the_currency_minor_unit(currency, expected):
    assert round_money(D("0.025"), currency) == expected


def test_yen_prices_round_to_whole_yen():
    tariff = TariffSpec("JPY", D("10"), energy_price_per_kwh=D("35"))

    price = tariff_price_session(tariff, facts(energy_wh=10_500))

    # 10.5 kWh x 35 = 367.5 -> 368; tax 36.8 -> 37
    assert (price.net, price.tax, price.gross) == (D("368"), D("37"), D("405"))


def test_tax_is_computed_on_the_net_total_not_per_line():
    tariff = TariffSpec("EUR", D("19"), energy_price_per_kwh=D("0.10"), session_fee=D("0.05"))

    price = tariff_price_session(tariff, facts(energy_wh=500))

    # lines 0.05 + 0.05 = 0.10; tax 19% of 0.10 = 0.019 -> 0.02 (per line: 0.01 + 0.01)
    assert (price.net, price.tax) == (D("0.10"), D("0.02"))


# --- charging time ------------------------------------------------------------------


def test_time_is_prorated_by_the_started_minute():
    tariff = TariffSpec("EUR", time_price_per_hour=D("2.40"))
    session = SessionFacts(T0, T0 + timedelta(minutes=90, seconds=20), energy_wh=0)

    (line,) = tariff_price_session(tariff, session).lines

    # 90 min 20 s is 91 started minutes: 91 x 2.40 / 60 = 3.64
    assert (line.kind, line.quantity, line.unit, line.unit_price, line.price_unit) == (
        "time",
        D("91"),
        "min",
        D("2.40"),
        "h",
    )
    assert line.amount == D("3.64")


def test_time_can_be_billed_by_whole_blocks():
    tariff = TariffSpec("EUR", time_price_per_hour=D("2.40"), time_block_minutes=15)
    session = SessionFacts(T0, T0 + timedelta(minutes=90, seconds=20), energy_wh=0)

    (line,) = tariff_price_session(tariff, session).lines

    # 7 started quarter hours = 105 min: 105 x 2.40 / 60 = 4.20
    assert (line.quantity, line.amount) == (D("105"), D("4.20"))


def test_session_fee():
    tariff = TariffSpec("EUR", session_fee=D("0.99"))

    assert amounts(tariff_price_session(tariff, facts(minutes=1))) == {"Session fee": D("0.99")}


def test_a_zero_length_session_costs_only_its_fee():
    tariff = TariffSpec(
        "EUR", session_fee=D("0.50"), time_price_per_hour=D("3"), energy_price_per_kwh=D("0.3")
    )

    assert tariff_price_session(tariff, facts(minutes=0)).net == D("0.50")


# --- idle fee -----------------------------------------------------------------------

IDLE_TARIFF = TariffSpec(
    "EUR", idle_price_per_minute=D("0.10"), idle_grace_minutes=10, idle_fee_cap=D("5.00")
)


def test_idle_fee_counts_suspended_ev_and_finishing_beyond_the_grace():
    periods = (
        StatusPeriod("Charging", T0, T0 + timedelta(minutes=60)),
        StatusPeriod("SuspendedEV", T0 + timedelta(minutes=60), T0 + timedelta(minutes=90)),
        # Finishing after the stop: the car still blocks the connector.
        StatusPeriod(
            "Finishing", T0 + timedelta(minutes=90), T0 + timedelta(minutes=95, seconds=1)
        ),
    )

    (line,) = tariff_price_session(IDLE_TARIFF, facts(minutes=90, status_periods=periods)).lines

    # 35 min 1 s idle - 10 min grace = 25 min 1 s: 26 started minutes x 0.10 = 2.60
    assert (line.kind, line.quantity, line.amount) == ("idle", D("26"), D("2.60"))


def test_idle_within_the_grace_period_is_free():
    periods = (StatusPeriod("SuspendedEV", T0 + timedelta(minutes=50), T0 + timedelta(minutes=60)),)

    assert tariff_price_session(IDLE_TARIFF, facts(status_periods=periods)).lines == ()


def test_idle_fee_is_capped():
    periods = (StatusPeriod("Finishing", T0 + timedelta(minutes=60), T0 + timedelta(hours=5)),)

    (line,) = tariff_price_session(IDLE_TARIFF, facts(status_periods=periods)).lines

    # 240 min - 10 = 230 min x 0.10 = 23.00, capped at 5.00
    assert (line.quantity, line.amount) == (D("230"), D("5.00"))
    assert "capped" in line.description


def test_an_open_idle_period_counts_until_priced_at():
    periods = (StatusPeriod("Finishing", T0 + timedelta(minutes=60), None),)
    session = facts(status_periods=periods, priced_at=T0 + timedelta(minutes=100))

    # 40 min idle - 10 min grace = 30 min x 0.10
    assert tariff_price_session(IDLE_TARIFF, session).net == D("3.00")


def test_idle_before_the_start_and_overlaps_count_once():
    periods = (
        StatusPeriod("SuspendedEV", T0 - timedelta(minutes=30), T0 + timedelta(minutes=20)),
        StatusPeriod("Finishing", T0 + timedelta(minutes=10), T0 + timedelta(minutes=30)),
    )

    # idle from the start until +30 min = 30 min - 10 grace = 20 x 0.10
    assert tariff_price_session(IDLE_TARIFF, facts(status_periods=periods)).net == D("2.00")


def test_idle_periods_are_derived_from_power_readings():
    readings = power_readings(T0, (0, 7000), (30, 7200), (45, 0), (50, 3), (55, 7000))

    periods = idle_periods_from_readings(readings, T0, T0 + timedelta(minutes=80))

    assert periods == (
        StatusPeriod("SuspendedEV", T0 + timedelta(minutes=45), T0 + timedelta(minutes=55)),
    )


# --- time of use --------------------------------------------------------------------

PEAK = TimeOfUseRule(
    "Peak", WEEKDAYS, time(17), time(21), energy_price_per_kwh=D("0.50"), time_price_per_hour=D("3")
)
NIGHT = TimeOfUseRule(
    "Night", frozenset(range(7)), time(23), time(7), energy_price_per_kwh=D("0.20")
)
TOU = TariffSpec(
    "EUR",
    energy_price_per_kwh=D("0.30"),
    time_price_per_hour=D("1.20"),
    time_of_use=(PEAK, NIGHT),
)


def test_time_of_use_prices_a_session_across_a_boundary_piecewise():
    # Amsterdam is UTC+1 in winter: 15:30-17:30 UTC is 16:30-18:30 local; peak from 17:00.
    start = datetime(2025, 1, 15, 15, 30, tzinfo=UTC)
    readings = tuple(
        Reading(start + timedelta(minutes=m), energy_wh=100_000 + wh)
        for m, wh in ((0, 0), (30, 3_000), (60, 6_000), (120, 11_000))
    )
    session = facts(
        120, 11_000, start, meter_start_wh=100_000, readings=readings, timezone="Europe/Amsterdam"
    )

    price = tariff_price_session(TOU, session)

    # off-peak: 30 min, 3.000 kWh; peak: 90 min, 8.000 kWh
    assert amounts(price) == {
        "Energy": D("0.90"),  # 3 x 0.30
        "Energy (Peak)": D("4.00"),  # 8 x 0.50
        "Charging time": D("0.60"),  # 30 x 1.20 / 60
        "Charging time (Peak)": D("4.50"),  # 90 x 3 / 60
    }
    assert price.net == D("10.00")


def test_time_of_use_interpolates_energy_between_readings():
    # 20:00-22:00 local (19:00-21:00 UTC): the peak ends at 21:00 local, half way.
    start = datetime(2025, 1, 15, 19, 0, tzinfo=UTC)
    readings = (
        Reading(start, energy_wh=0),
        Reading(start + timedelta(minutes=120), energy_wh=9_001),
    )
    session = facts(120, 9_001, start, readings=readings, timezone="Europe/Amsterdam")

    price = tariff_price_session(TOU, session)

    # 4500.5 Wh before 21:00 rounds half up to 4501 Wh; the rest, 4500 Wh, after.
    energy = {line.description: line.quantity for line in price.lines if line.kind == "energy"}
    assert energy == {"Energy (Peak)": D("4.501"), "Energy": D("4.5")}


def test_without_readings_energy_is_spread_evenly_over_time():
    start = datetime(2025, 1, 15, 15, 30, tzinfo=UTC)  # 16:30-18:30 local
    session = facts(120, 8_000, start, timezone="Europe/Amsterdam")

    price = tariff_price_session(TOU, session)

    assert amounts(price)["Energy"] == D("0.60")  # 2 kWh x 0.30
    assert amounts(price)["Energy (Peak)"] == D("3.00")  # 6 kWh x 0.50


def test_a_rule_past_midnight_covers_the_next_morning():
    # Friday 22:00 local until Saturday 08:00 local (Amsterdam, UTC+1).
    start = datetime(2025, 1, 17, 21, 0, tzinfo=UTC)
    session = facts(600, 10_000, start, timezone="Europe/Amsterdam")

    price = tariff_price_session(TOU, session)

    # 22-23 day price, 23-07 night, 07-08 day: 1 + 8 + 1 kWh
    assert amounts(price)["Energy"] == D("0.60")
    assert amounts(price)["Energy (Night)"] == D("1.60")
    # 10 hours, none in the weekday peak
    assert amounts(price)["Charging time"] == D("12.00")


def test_time_of_use_boundaries_follow_daylight_saving_time():
    # Summer (UTC+2): 15:00-16:00 UTC is 17:00-18:00 local, all peak.
    start = datetime(2025, 7, 16, 15, 0, tzinfo=UTC)
    price = tariff_price_session(TOU, facts(60, 1_000, start, timezone="Europe/Amsterdam"))

    assert set(amounts(price)) == {"Energy (Peak)", "Charging time (Peak)"}


def test_night_rule_on_the_night_clocks_go_forward():
    # 30 March 2025, Amsterdam: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    rule = TimeOfUseRule("Early", frozenset(range(7)), time(2, 30), time(4), D("1"))
    tariff = TariffSpec("EUR", energy_price_per_kwh=D("0"), time_of_use=(rule,))
    start = datetime(2025, 3, 30, 0, 0, tzinfo=UTC)  # 01:00 CET
    session = facts(120, 1_200, start, timezone="Europe/Amsterdam")  # until 04:00 CEST

    (line,) = tariff_price_session(tariff, session).lines

    # In force from the jump (03:00 CEST = 01:00 UTC) to 04:00 CEST: the last hour of two.
    assert line.quantity == D("0.6")


# --- power tiers (e-bikes) ----------------------------------------------------------

EBIKE = TariffSpec(
    "CNY", energy_price_per_kwh=D("0"), power_tiers=EBIKE_TIERS, time_block_minutes=60
)


@pytest.mark.parametrize(
    ("watts", "description", "amount"),
    [
        (150, "Charging time at ≤200 W, sustained peak 150 W", D("0.75")),  # 3 h x 0.25
        (200, "Charging time at ≤200 W, sustained peak 200 W", D("0.75")),
        (350, "Charging time at 200–400 W, sustained peak 350 W", D("1.20")),  # 3 h x 0.40
        (750, "Charging time at 400–800 W, sustained peak 750 W", D("1.50")),
        (900, "Charging time at 400–800 W, sustained peak 900 W", D("1.50")),  # above all: top
    ],
)
def test_power_tier_prices_time_by_the_sustained_peak(watts, description, amount):
    readings = power_readings(T0, (0, 80), (10, watts), (170, 60))

    (line,) = tariff_price_session(EBIKE, facts(180, readings=readings)).lines

    assert (line.kind, line.description, line.amount) == ("power_tier", description, amount)


def test_a_short_spike_does_not_lift_the_tier():
    readings = power_readings(T0, (0, 150), (30, 700), (30.5, 180), (120, 150))

    assert sustained_peak_w(facts(180, readings=readings), sustain_seconds=60) == D("180")


def test_a_peak_held_long_enough_lifts_the_tier():
    readings = power_readings(T0, (0, 150), (30, 700), (31, 180))

    assert sustained_peak_w(facts(180, readings=readings), sustain_seconds=60) == D("700")


def test_without_power_readings_the_average_power_decides():
    # 1.2 kWh in 3 hours: 400 W on average -> the 200-400 W tier.
    (line,) = tariff_price_session(EBIKE, facts(180, 1_200)).lines

    assert line.amount == D("1.20")


PREPAID = TariffSpec("CNY", power_tiers=EBIKE_TIERS, prepaid_block_price=D("1.00"))


def test_prepaid_block_is_charged_once_for_up_to_its_length():
    readings = power_readings(T0, (0, 180))

    (line,) = tariff_price_session(PREPAID, facts(180, readings=readings)).lines

    # 1.00 at 0.25/h buys 4 hours
    assert (line.kind, line.quantity, line.amount) == ("prepaid_block", D("1"), D("1.00"))
    assert "up to 4 h 00 min per block" in line.description


def test_prepaid_block_length_follows_the_tier():
    readings = power_readings(T0, (0, 350))

    # 1.00 at 0.40/h buys 2 h 30 min
    assert prepaid_block_ends_at(PREPAID, facts(10, readings=readings)) == T0 + timedelta(
        hours=2, minutes=30
    )


def test_a_stop_a_few_minutes_late_costs_no_second_block():
    readings = power_readings(T0, (0, 350))

    late = tariff_price_session(PREPAID, facts(154, readings=readings))
    overrun = tariff_price_session(PREPAID, facts(156, readings=readings))

    assert late.net == D("1.00")  # 2 h 34 min: within the 5 min stop tolerance
    assert overrun.net == D("2.00")  # 2 h 36 min: a second block


def test_a_safety_stop_refunds_the_unused_part_of_the_block():
    readings = power_readings(T0, (0, 180))  # 1.00 at 0.25/h buys 4 hours

    price = tariff_price_session(PREPAID, facts(60, readings=readings, safety_stop=True))

    block, refund = price.lines
    assert (block.kind, block.amount) == ("prepaid_block", D("1.00"))
    assert (refund.kind, refund.quantity, refund.amount) == (
        "prepaid_refund",
        D("180.0"),
        D("-0.75"),
    )
    assert price.net == D("0.25")  # one hour of four used
    # Without the safety stop the driver pays the block they chose.
    assert tariff_price_session(PREPAID, facts(60, readings=readings)).net == D("1.00")


def test_prepaid_ends_at_is_none_without_blocks():
    assert prepaid_block_ends_at(EBIKE, facts()) is None


# --- minimum and maximum -------------------------------------------------------------


def test_minimum_price_adds_an_adjustment_line():
    tariff = TariffSpec("EUR", D("10"), energy_price_per_kwh=D("0.30"), minimum_price=D("2.00"))

    price = tariff_price_session(tariff, facts(energy_wh=1_000))

    assert amounts(price) == {"Energy": D("0.30"), "Minimum price": D("1.70")}
    assert (price.net, price.tax, price.gross) == (D("2.00"), D("0.20"), D("2.20"))


def test_maximum_price_caps_the_total():
    tariff = TariffSpec("EUR", energy_price_per_kwh=D("0.30"), maximum_price=D("10.00"))

    price = tariff_price_session(tariff, facts(energy_wh=50_000))

    assert amounts(price) == {"Energy": D("15.00"), "Maximum price": D("-5.00")}
    assert price.net == D("10.00")


# --- the two sessions of the issue -----------------------------------------------------


def test_car_session_energy_idle_and_time_of_use_to_the_cent():
    tariff = TariffSpec(
        "EUR",
        D("21"),
        energy_price_per_kwh=D("0.35"),
        idle_price_per_minute=D("0.10"),
        idle_grace_minutes=15,
        idle_fee_cap=D("10.00"),
        time_of_use=(TimeOfUseRule("Peak", WEEKDAYS, time(17), time(21), D("0.45")),),
    )
    start = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)  # Friday 16:30 in Amsterdam (UTC+1)
    readings = tuple(
        Reading(
            start + timedelta(minutes=30 * i),
            power_w=7_400 if i < 5 else 0,
            energy_wh=1_000 + 3_700 * min(i, 5),
        )
        for i in range(7)
    )
    periods = (
        StatusPeriod("Charging", start, start + timedelta(minutes=150)),
        StatusPeriod("SuspendedEV", start + timedelta(minutes=150), start + timedelta(minutes=180)),
        StatusPeriod("Finishing", start + timedelta(minutes=180), start + timedelta(minutes=200)),
    )
    session = facts(
        180,
        18_500,
        start,
        meter_start_wh=1_000,
        readings=readings,
        status_periods=periods,
        timezone="Europe/Amsterdam",
    )

    price = tariff_price_session(tariff, session)

    # 3.700 kWh off-peak x 0.35 = 1.295 -> 1.30; 14.800 kWh peak x 0.45 = 6.66;
    # idle 30 + 20 = 50 min - 15 grace = 35 min x 0.10 = 3.50.
    assert amounts(price) == {
        "Energy": D("1.30"),
        "Energy (Peak)": D("6.66"),
        "Idle fee after 15 min grace": D("3.50"),
    }
    assert (price.net, price.tax, price.gross) == (D("11.46"), D("2.41"), D("13.87"))


def test_running_session_is_priced_up_to_priced_at():
    tariff = TariffSpec("EUR", time_price_per_hour=D("6"))
    session = SessionFacts(T0, None, 0, priced_at=T0 + timedelta(minutes=10))

    assert tariff_price_session(tariff, session).net == D("1.00")


def test_running_session_without_priced_at_is_an_error():
    with pytest.raises(ValueError, match="priced_at"):
        tariff_price_session(TariffSpec("EUR"), SessionFacts(T0, None, 0))


def test_price_lines_serialise_decimals_as_strings():
    price = tariff_price_session(TariffSpec("EUR", session_fee=D("1.5")), facts())

    assert price.lines_json() == [
        {
            "kind": "session_fee",
            "description": "Session fee",
            "quantity": "1",
            "unit": "session",
            "unit_price": "1.5",
            "price_unit": "session",
            "amount": "1.50",
        }
    ]
