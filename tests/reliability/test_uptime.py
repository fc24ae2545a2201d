"""Uptime figures worked out by hand from scripted histories (March 2026: 31 days,
44,640 minutes a port)."""

from decimal import Decimal

import pytest

from reliability.figures import station_uptime
from reliability.models import Exclusion, OpeningHours
from stations.models import Command, Site
from tests.reliability.conftest import History, at

MARCH = (at("2026-03-01 00:00"), at("2026-04-01 00:00"))
MINUTES = 44_640


def nevi(minutes_down: float, total: float = MINUTES) -> str:
    value = Decimal(str(total - minutes_down)) * 100 / Decimal(str(total))
    return str(value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))


def always_available(history: History, *connectors: int) -> None:
    for connector in connectors:
        history.status(connector, "Available", "2026-01-01 00:00", None)


def figures(history, method="nevi", window=MARCH):
    return station_uptime(history.station, *window, method)


def port(result, connector_id):
    return next(c for c in result["connectors"] if c["connector_id"] == connector_id)


@pytest.mark.django_db
def test_a_fault_counts_against_its_port_only(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00", error="GroundFailure")
    history.status(1, "Available", "2026-03-10 12:00", None)
    always_available(history, 2)
    result = figures(history)
    one = port(result, 1)
    assert one["uptime_percent"] == nevi(720) == "98.39"
    assert one["outage_seconds"] == 720 * 60
    assert one["excluded_seconds"] == 0
    assert one["outages"] == [
        {
            "start": at("2026-03-10 00:00"),
            "end": at("2026-03-10 12:00"),
            "cause": "faulted",
            "error_code": "GroundFailure",
            "excluded_seconds": 0,
        }
    ]
    assert port(result, 2)["uptime_percent"] == "100.00"
    assert result["uptime_percent"] == nevi(720, 2 * MINUTES) == "99.19"


@pytest.mark.django_db
def test_an_offline_station_takes_every_port_down(history):
    always_available(history, 1, 2)
    history.connected("2026-02-01 00:00", "2026-03-05 00:00")
    history.connected("2026-03-05 06:00", None)
    result = figures(history)
    for connector in (1, 2):
        assert port(result, connector)["uptime_percent"] == nevi(360) == "99.19"
        assert port(result, connector)["outages"][0]["cause"] == "offline"


@pytest.mark.django_db
def test_before_the_first_connection_connectivity_is_not_judged(history):
    always_available(history, 1, 2)
    history.connected("2026-03-20 00:00", None)
    assert figures(history)["uptime_percent"] == "100.00"


@pytest.mark.django_db
def test_a_window_before_the_station_existed_counts_from_its_creation(station):
    history = History(station, created="2026-03-16 00:00")
    history.status(1, "Available", "2026-03-16 00:00", "2026-03-20 00:00")
    history.status(1, "Faulted", "2026-03-20 00:00", "2026-03-20 12:00")
    history.status(1, "Available", "2026-03-20 12:00", None)
    assert port(figures(history), 1)["uptime_percent"] == nevi(720, 16 * 1440) == "96.88"


@pytest.mark.django_db
def test_a_window_wholly_before_the_station_existed_has_no_figure(station):
    history = History(station, created="2026-05-01 00:00")
    result = figures(history)
    assert result["uptime_percent"] is None
    assert port(result, 1)["outages"] == []


@pytest.mark.django_db
def test_an_outage_across_a_month_edge_counts_only_inside_the_window(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-02-28 22:00")
    history.status(1, "Faulted", "2026-02-28 22:00", "2026-03-01 02:00")
    history.status(1, "Available", "2026-03-01 02:00", None)
    one = port(figures(history), 1)
    assert one["outage_seconds"] == 120 * 60
    assert one["outages"][0]["start"] == at("2026-03-01 00:00")
    feb = (at("2026-02-01 00:00"), at("2026-03-01 00:00"))
    assert port(figures(history, window=feb), 1)["outage_seconds"] == 120 * 60


@pytest.mark.django_db
def test_an_allowed_exclusion_takes_its_part_of_an_outage_out(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00")
    history.status(1, "Available", "2026-03-10 12:00", None)
    Exclusion.objects.create(
        station=history.station,
        connector_id=1,
        start=at("2026-03-10 06:00"),
        end=at("2026-03-10 18:00"),  # reaches past the outage: only 6 h are outage
        reason="vandalism",
    )
    one = port(figures(history), 1)
    assert one["excluded_seconds"] == 360 * 60
    assert one["uptime_percent"] == nevi(360) == "99.19"


@pytest.mark.django_db
def test_overlapping_exclusions_count_once(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00")
    history.status(1, "Available", "2026-03-10 12:00", None)
    for start, end in (("06:00", "10:00"), ("08:00", "12:00")):
        Exclusion.objects.create(
            station=history.station,
            start=at(f"2026-03-10 {start}"),
            end=at(f"2026-03-10 {end}"),
            reason="grid_outage",
        )
    assert port(figures(history), 1)["excluded_seconds"] == 360 * 60


@pytest.mark.django_db
def test_a_reason_the_rule_does_not_allow_is_not_applied(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00")
    history.status(1, "Available", "2026-03-10 12:00", None)
    Exclusion.objects.create(
        station=history.station,
        start=at("2026-03-10 00:00"),
        end=at("2026-03-10 12:00"),
        reason="other",
    )
    Exclusion.objects.create(
        station=history.station,
        start=at("2026-03-10 00:00"),
        end=at("2026-03-10 12:00"),
        reason="vehicle_fault",  # NEVI allows it, the UK method does not
    )
    assert port(figures(history), 1)["uptime_percent"] == "100.00"
    assert port(figures(history, "uk"), 1)["excluded_seconds"] == 0


@pytest.mark.django_db
def test_a_site_wide_exclusion_covers_its_stations(history):
    site = Site.objects.create(name="Depot")
    history.station.site = site
    history.station.save()
    history.status(1, "Faulted", "2026-03-01 00:00", "2026-03-02 00:00")
    history.status(1, "Available", "2026-03-02 00:00", None)
    Exclusion.objects.create(
        site=site, start=at("2026-03-01 00:00"), end=at("2026-03-02 00:00"), reason="grid_outage"
    )
    assert port(figures(history), 1)["uptime_percent"] == "100.00"


@pytest.mark.django_db
def test_time_chargenet_was_down_is_not_blamed_on_the_station(history):
    always_available(history, 1, 2)
    history.central("2026-01-01 00:00", "2026-03-20 00:00")
    history.central("2026-03-20 02:00", "2026-04-01 00:00")
    history.connected("2026-01-01 00:00", "2026-03-20 00:00")
    history.connected("2026-03-20 02:05", None)  # back five minutes after ChargeNet
    one = port(figures(history), 1)
    assert [(o["cause"], o["excluded_seconds"]) for o in one["outages"]] == [
        ("central_system_down", 7200),
        ("offline", 0),
    ]
    assert one["outage_seconds"] == 125 * 60
    assert one["uptime_percent"] == nevi(5) == "99.99"


@pytest.mark.django_db
def test_unavailable_set_by_an_operator_is_planned(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-15 00:00")
    history.status(1, "Unavailable", "2026-03-15 00:00", "2026-03-15 04:00")
    history.status(1, "Available", "2026-03-15 04:00", "2026-03-16 00:00")
    history.status(1, "Unavailable", "2026-03-16 00:00", "2026-03-16 01:00")  # not asked
    history.status(1, "Available", "2026-03-16 01:00", None)
    for moment, kind in (("2026-03-15 00:00", "inoperative"), ("2026-03-15 04:00", "operative")):
        Command.objects.create(
            station=history.station,
            action="change_availability",
            params={"connector_id": 1, "type": kind},
            status=Command.Status.ACCEPTED,
            created_at=at(moment),
            finished_at=at(moment),
        )
    one = port(figures(history), 1)
    assert [o["cause"] for o in one["outages"]] == ["planned", "unavailable"]
    assert one["outage_seconds"] == 300 * 60
    assert one["excluded_seconds"] == 240 * 60
    assert one["uptime_percent"] == nevi(60)


@pytest.mark.django_db
def test_a_station_faulted_as_a_whole_takes_every_port_down(history):
    always_available(history, 1, 2)
    history.status(0, "Faulted", "2026-03-02 00:00", "2026-03-02 01:00", error="PowerMeterFailure")
    history.status(0, "Available", "2026-03-02 01:00", None)
    result = figures(history)
    assert {port(result, c)["outages"][0]["error_code"] for c in (1, 2)} == {"PowerMeterFailure"}
    assert result["uptime_percent"] == nevi(60) == "99.87"


@pytest.mark.django_db
def test_no_status_ever_reported_is_not_an_outage_but_the_uk_method_has_no_figure(history):
    assert figures(history)["uptime_percent"] == "100.00"
    assert figures(history, "uk")["uptime_percent"] is None


@pytest.mark.django_db
def test_uk_counts_up_and_down_time_only_in_opening_hours(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 06:00")
    history.status(1, "Faulted", "2026-03-10 06:00", "2026-03-10 10:00")  # 2 h open
    history.status(1, "Available", "2026-03-10 10:00", None)
    site = Site.objects.create(name="Depot", timezone="UTC")
    history.station.site = site
    history.station.save()
    for weekday in range(7):
        OpeningHours.objects.create(site=site, weekday=weekday, opens="08:00", closes="20:00")
    day = (at("2026-03-10 00:00"), at("2026-03-11 00:00"))
    one = port(figures(history, "uk", day), 1)
    assert one["outage_seconds"] == 7200
    assert one["uptime_percent"] == "83.33"  # 10 h up of 12 h open


@pytest.mark.django_db
def test_opening_hours_follow_the_sites_clock_across_a_dst_change(history):
    """London moves to BST at 01:00 UTC on 29 March 2026: 08:00–20:00 local is
    07:00–19:00 UTC that day, so a fault 06:00–08:00 UTC costs one open hour."""
    site = Site.objects.create(name="London", timezone="Europe/London")
    history.station.site = site
    history.station.save()
    OpeningHours.objects.create(site=site, weekday=6, opens="08:00", closes="20:00")
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-29 06:00")
    history.status(1, "Faulted", "2026-03-29 06:00", "2026-03-29 08:00")
    history.status(1, "Available", "2026-03-29 08:00", None)
    day = (at("2026-03-29 00:00"), at("2026-03-30 00:00"))
    one = port(figures(history, "uk", day), 1)
    assert one["outage_seconds"] == 3600
    assert one["uptime_percent"] == "91.67"  # 11 of 12 open hours
    # NEVI counts the whole day: 2 h down of 24.
    assert port(figures(history, "nevi", day), 1)["uptime_percent"] == nevi(120, 1440)


@pytest.mark.django_db
def test_uk_leaves_excluded_time_out_of_the_denominator(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00")
    history.status(1, "Available", "2026-03-10 12:00", None)
    Exclusion.objects.create(
        station=history.station,
        start=at("2026-03-10 00:00"),
        end=at("2026-03-10 06:00"),
        reason="grid_outage",
    )
    day = (at("2026-03-10 00:00"), at("2026-03-11 00:00"))
    # 12 h up, 6 h down counted, 6 h excluded: 12 / 18.
    assert port(figures(history, "uk", day), 1)["uptime_percent"] == "66.67"
    # NEVI: 24 h less 6 h counted.
    assert port(figures(history, "nevi", day), 1)["uptime_percent"] == "75.00"


@pytest.mark.django_db
def test_a_trailing_year_is_525600_minutes(history):
    history.status(1, "Available", "2025-01-01 00:00", "2026-02-01 00:00")
    history.status(1, "Faulted", "2026-02-01 00:00", "2026-02-12 00:00")  # 15,840 min
    history.status(1, "Available", "2026-02-12 00:00", None)
    history.station.__class__.objects.filter(pk=history.station.pk).update(
        created_at=at("2025-01-01 00:00")
    )
    history.station.refresh_from_db()
    year = (at("2025-04-01 00:00"), at("2026-04-01 00:00"))
    assert port(figures(history, window=year), 1)["uptime_percent"] == nevi(15_840, 525_600)
    assert nevi(15_840, 525_600) == "96.99"  # below NEVI's 97 %
