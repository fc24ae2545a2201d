"""Pricing stored sessions: tariff choice, facts from the database, storing, re-pricing."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from billing import services
from billing.models import ConnectorStatusPeriod, SessionCharge, Tariff
from billing.services.invoices import invoice_issue_for_session
from billing.tasks import price_session
from tests.support.billing import (
    FRIDAY,
    assign,
    car_readings,
    car_tariff,
    charge_of,
    ebike_tariff,
    network,
    session,
)

pytestmark = pytest.mark.django_db


def periods(station, connector, *spans):
    for status, start_minute, end_minute in spans:
        ConnectorStatusPeriod.objects.create(
            station=station,
            connector_id=connector,
            status=status,
            started_at=FRIDAY + timedelta(minutes=start_minute),
            ended_at=None if end_minute is None else FRIDAY + timedelta(minutes=end_minute),
        )


# --- which tariff ---------------------------------------------------------------------


def test_the_most_specific_tariff_wins():
    site, car, _ = network()
    for name in ("default", "site", "station", "connector"):
        Tariff.objects.create(name=name, currency="EUR", is_default=name == "default")
    plug_1, plug_2 = car.connectors.get(connector_id=1), car.connectors.get(connector_id=2)
    assign(Tariff.objects.get(name="site"), site=site)

    def tariff_of(connector):
        return services.tariff_for(
            station_pk=car.pk, connector_pk=connector.pk, site_pk=site.pk
        ).name

    assert tariff_of(plug_1) == "site"
    assign(Tariff.objects.get(name="station"), station=car)
    assert tariff_of(plug_1) == "station"
    assign(Tariff.objects.get(name="connector"), connector=plug_1)
    assert (tariff_of(plug_1), tariff_of(plug_2)) == ("connector", "station")
    elsewhere = services.tariff_for(station_pk=car.pk + 99, connector_pk=None, site_pk=None)
    assert elsewhere.name == "default"


def test_without_any_tariff_a_session_stays_unpriced():
    _, car, _ = network()
    ended = session(car, FRIDAY, 60, 5_000)

    assert services.session_price(ended) is None
    assert charge_of(ended) is None and not SessionCharge.objects.exists()


# --- facts ---------------------------------------------------------------------------


def test_facts_read_power_and_energy_readings():
    site, car, _ = network()
    ended = session(car, FRIDAY, 180, 18_500, readings=car_readings())

    facts = services.session_facts(ended)

    assert facts.timezone == "Europe/Amsterdam"
    assert facts.meter_start_wh == 1_000 and facts.energy_wh == 18_500
    assert [(r.power_w, r.energy_wh) for r in facts.readings[:2]] == [
        (D("7400"), D("1000")),
        (D("7400"), D("4700")),
    ]


def test_facts_take_status_periods_and_the_finishing_after_the_stop():
    _, car, _ = network()
    ended = session(car, FRIDAY, 180, 18_500)
    periods(
        car,
        1,
        ("Available", -60, 0),
        ("Charging", 0, 150),
        ("SuspendedEV", 150, 180),
        ("Finishing", 180, 200),
        ("Available", 200, None),
    )
    periods(car, 2, ("Finishing", 100, 300))  # another connector: not this session's

    facts = services.session_facts(ended)

    # Available ended as the session began; the Finishing after the stop still counts.
    assert [p.status for p in facts.status_periods] == ["Charging", "SuspendedEV", "Finishing"]


def test_without_status_history_idle_comes_from_power_readings():
    _, car, _ = network()
    ended = session(car, FRIDAY, 180, 18_500, readings=car_readings())

    facts = services.session_facts(ended)

    assert [(p.status, p.start, p.end) for p in facts.status_periods] == [
        ("SuspendedEV", FRIDAY + timedelta(minutes=150), FRIDAY + timedelta(minutes=180))
    ]


# --- storing prices ------------------------------------------------------------------


def test_car_session_is_priced_by_energy_idle_and_time_of_use():
    _, car, _ = network()
    assign(car_tariff(), station=car)
    ended = session(car, FRIDAY, 180, 18_500, readings=car_readings())
    periods(car, 1, ("Charging", 0, 150), ("SuspendedEV", 150, 180), ("Finishing", 180, 200))

    price = services.session_price(ended)

    # 3.7 kWh x 0.35 = 1.295 -> 1.30; 14.8 kWh x 0.45 = 6.66; (50 - 15) min x 0.10 = 3.50
    charge = SessionCharge.objects.get(session=ended)
    assert (charge.gross, charge.currency) == (D("13.87"), "EUR")
    assert [(line["description"], line["amount"]) for line in charge.lines] == [
        ("Energy", "1.30"),
        ("Energy (Peak)", "6.66"),
        ("Idle fee after 15 min grace", "3.50"),
    ]
    assert (charge.net, charge.tax, charge.gross) == (D("11.46"), D("2.41"), D("13.87"))
    assert charge.tariff_name == "Car AC" and price.gross == D("13.87")


def test_e_bike_session_is_priced_by_its_tier_and_prepaid_block():
    _, _, bike = network()
    assign(ebike_tariff(), station=bike)
    ended = session(bike, FRIDAY, 150, 800, readings=[(0, 330, 1_000), (60, 350, 1_350)])

    services.session_price(ended)

    charge = charge_of(ended)
    assert (charge.gross, charge.currency) == (D("1.00"), "CNY")
    (line,) = charge.lines
    assert line["kind"] == "prepaid_block"
    assert line["description"] == (
        "Prepaid block at 200–400 W, sustained peak 350 W, up to 2 h 30 min per block"
    )


def test_re_pricing_is_idempotent_and_keeps_the_tariff_version_of_the_start():
    _, car, _ = network()
    tariff = car_tariff()
    assign(tariff, station=car)
    ended = session(car, FRIDAY, 180, 18_500, readings=car_readings())

    first = price_session(ended.pk)
    again = price_session(ended.pk)
    # No status history: idle from the power readings, 30 min - 15 grace = 1.50;
    # net 1.30 + 6.66 + 1.50 = 9.46, tax 1.9866 -> 1.99
    assert first == again == "11.45 EUR"
    assert SessionCharge.objects.count() == 1

    # Even a change that bypasses the model's save: the session keeps its version.
    Tariff.objects.filter(pk=tariff.pk).update(session_fee=D("1.00"))
    assert price_session(ended.pk) == "11.45 EUR"
    later = session(car, FRIDAY + timedelta(days=7), 180, 18_500, readings=car_readings())
    assert price_session(later.pk) == "12.66 EUR"  # net 10.46, tax 2.1966 -> 2.20
    assert charge_of(later).tariff_version.number == 2
    assert charge_of(ended).tariff_version.number == 1


def test_an_invoiced_session_keeps_its_price():
    _, car, _ = network()
    tariff = car_tariff()
    assign(tariff, station=car)
    ended = session(car, FRIDAY, 180, 18_500, readings=car_readings())
    invoice_issue_for_session(session=ended)

    Tariff.objects.filter(pk=tariff.pk).update(session_fee=D("1.00"))

    assert price_session(ended.pk) is None
    assert charge_of(ended).gross == D("11.45")


def test_active_sessions_are_not_stored_but_show_their_cost_so_far():
    _, car, _ = network()
    assign(car_tariff(), station=car)
    running = session(car, FRIDAY, 0, 3_700, ended=False, readings=[(0, 7_400, 1_000)])

    assert services.session_price(running) is None
    cost = services.session_cost_so_far(running, now=FRIDAY + timedelta(minutes=30))

    assert cost.net == D("1.30")  # 3.7 kWh off-peak
    assert charge_of(running) is None


def test_ending_a_session_queues_pricing_after_commit(
    django_capture_on_commit_callbacks, eager_tasks
):
    _, car, _ = network()
    assign(car_tariff(), station=car)
    ended = session(car, FRIDAY, 60, 3_700)

    with django_capture_on_commit_callbacks(execute=True):
        services.session_price_later(session_pk=ended.pk)
        assert charge_of(ended) is None  # not before the commit

    # Half off-peak, half peak: 1.85 x 0.35 -> 0.65, 1.85 x 0.45 -> 0.83; + 21 % of 1.48
    assert charge_of(ended).gross == D("1.79")


def test_pricing_a_missing_session_does_nothing():
    assert price_session(123456) is None


# --- prepaid blocks ---------------------------------------------------------------------


def test_prepaid_sessions_whose_block_ran_out_are_listed():
    _, car, bike = network()
    assign(ebike_tariff(), station=bike)
    assign(car_tariff(), station=car)
    slow = session(bike, FRIDAY, 0, 0, ended=False, readings=[(0, 150, 1_000)])  # 4 h block
    fast = session(bike, FRIDAY, 0, 0, connector=2, ended=False, readings=[(0, 700, 1_000)])  # 2 h
    session(car, FRIDAY, 0, 0, ended=False)  # not prepaid
    session(bike, FRIDAY, 10, 0, connector=3)  # ended

    at_two_hours = services.prepaid_block_expired_sessions(now=FRIDAY + timedelta(hours=2))
    at_four_hours = services.prepaid_block_expired_sessions(now=FRIDAY + timedelta(hours=4))

    assert at_two_hours == [fast]
    assert set(at_four_hours) == {slow, fast}


# --- status history ---------------------------------------------------------------------


def record(station, status, minute, connector=1):
    return services.status_history_record(
        station_pk=station.pk,
        connector_id=connector,
        status=status,
        at=FRIDAY + timedelta(minutes=minute),
    )


def test_status_history_closes_the_open_period_and_opens_the_next():
    _, car, _ = network()
    record(car, "Preparing", 0)
    record(car, "Charging", 1)
    record(car, "Charging", 5)  # repeated: nothing changes
    record(car, "SuspendedEV", 60)

    rows = ConnectorStatusPeriod.objects.order_by("started_at").values_list(
        "status", "started_at", "ended_at"
    )
    minute = timedelta(minutes=1)
    assert list(rows) == [
        ("Preparing", FRIDAY, FRIDAY + minute),
        ("Charging", FRIDAY + minute, FRIDAY + 60 * minute),
        ("SuspendedEV", FRIDAY + 60 * minute, None),
    ]


def test_a_first_report_opens_the_first_period():
    _, car, _ = network()
    services.status_history_record(
        station_pk=car.pk, connector_id=1, status="Available", at=FRIDAY, first_report=True
    )

    rows = ConnectorStatusPeriod.objects.values_list("status", "started_at", "ended_at")
    assert list(rows) == [("Available", FRIDAY, None)]


def test_a_first_report_of_a_connector_with_history_closes_its_open_period():
    """A connector deleted and reported again is new to the station, not to its history."""
    _, car, _ = network()
    record(car, "Charging", 0)
    services.status_history_record(
        station_pk=car.pk,
        connector_id=1,
        status="Available",
        at=FRIDAY + timedelta(minutes=10),
        first_report=True,
    )

    rows = ConnectorStatusPeriod.objects.order_by("started_at").values_list(
        "status", "started_at", "ended_at"
    )
    assert list(rows) == [
        ("Charging", FRIDAY, FRIDAY + timedelta(minutes=10)),
        ("Available", FRIDAY + timedelta(minutes=10), None),
    ]


def test_a_late_status_report_is_placed_at_its_own_time_without_overlaps():
    """A report queued while offline arrives after a newer one: it keeps the station's
    time and ends where the next known change begins; the open period stays open."""
    _, car, _ = network()
    record(car, "Charging", 10)
    record(car, "Preparing", 5)
    record(car, "SuspendedEV", 30)
    record(car, "Charging", 20)  # late again: splits SuspendedEV's predecessor
    record(car, "Charging", 15)  # the same status began earlier: merged, no new row

    minute = timedelta(minutes=1)
    rows = ConnectorStatusPeriod.objects.order_by("started_at").values_list(
        "status", "started_at", "ended_at"
    )
    assert list(rows) == [
        ("Preparing", FRIDAY + 5 * minute, FRIDAY + 10 * minute),
        ("Charging", FRIDAY + 10 * minute, FRIDAY + 30 * minute),
        ("SuspendedEV", FRIDAY + 30 * minute, None),
    ]


def test_a_late_status_report_between_two_periods_splits_the_earlier_one():
    _, car, _ = network()
    record(car, "Charging", 0)
    record(car, "Finishing", 45)
    record(car, "SuspendedEV", 20)  # delivered after the later Finishing

    minute = timedelta(minutes=1)
    rows = ConnectorStatusPeriod.objects.order_by("started_at").values_list(
        "status", "started_at", "ended_at"
    )
    assert list(rows) == [
        ("Charging", FRIDAY, FRIDAY + 20 * minute),
        ("SuspendedEV", FRIDAY + 20 * minute, FRIDAY + 45 * minute),
        ("Finishing", FRIDAY + 45 * minute, None),
    ]


def test_the_end_of_finishing_re_prices_the_ended_session(
    django_capture_on_commit_callbacks, monkeypatch, eager_tasks
):
    _, car, _ = network()
    assign(car_tariff(), station=car)
    ended = session(car, FRIDAY, 180, 18_500, readings=car_readings())
    record(car, "Charging", 0)
    record(car, "SuspendedEV", 150)
    monkeypatch.setattr(timezone, "now", lambda: FRIDAY + timedelta(minutes=180))
    with django_capture_on_commit_callbacks(execute=True):
        record(car, "Finishing", 180)  # the stop: SuspendedEV ends, pricing runs
    assert charge_of(ended).gross == D("11.45")  # 30 min idle so far

    monkeypatch.setattr(timezone, "now", lambda: FRIDAY + timedelta(minutes=200))
    with django_capture_on_commit_callbacks(execute=True):
        record(car, "Available", 200)  # the car leaves

    assert charge_of(ended).gross == D("13.87")  # 50 min idle - 15 min grace
