"""Reports: per station and site totals, CSV and XLSX files, progress and failure."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from billing import services
from billing.models import ConnectorStatusPeriod, Report
from billing.selectors import site_charts
from billing.services.reports import existence_window, station_totals
from billing.tasks import request_monthly_report
from stations.models import ChargingStation, Site
from tests.support.billing import (
    FRIDAY,
    assign,
    car_readings,
    car_tariff,
    ebike_tariff,
    network,
    session,
)
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(media_root):
    """Priced sessions in March 2025 on two sites, one fault, one unpriced session."""
    site, car, bike = network()
    other_site = Site.objects.create(name="Airport", timezone="Europe/Amsterdam")
    far = make_station("AP-1", site=other_site, connectors=1)
    # In service all month: utilisation counts the whole month for each of them.
    ChargingStation.objects.update(created_at=datetime(2025, 1, 1, tzinfo=UTC))
    for station in (car, bike, far):
        station.refresh_from_db()
    assign(car_tariff(), station=car)
    assign(ebike_tariff(), station=bike)
    sessions = [
        session(car, FRIDAY, 180, 18_500, readings=car_readings()),  # 11.45 EUR
        session(car, FRIDAY + timedelta(days=1), 60, 7_400, connector=2),  # 3.13 EUR
        session(bike, FRIDAY, 150, 800, readings=[(0, 350, 1_000)]),  # 1.00 CNY
        session(far, FRIDAY, 60, 1_000),  # no tariff: unpriced
    ]
    for ended in sessions:
        services.session_price(ended)
    ConnectorStatusPeriod.objects.create(
        station=car, connector_id=2, status="Faulted", started_at=FRIDAY, ended_at=FRIDAY
    )
    return {"site": site, "car": car, "bike": bike, "far": far}


@pytest.fixture
def make_report(django_capture_on_commit_callbacks):
    def make(**scope) -> Report:
        with django_capture_on_commit_callbacks(execute=True):  # generation is queued on commit
            report = services.report_request(
                period_start=date(2025, 3, 1), period_end=date(2025, 3, 31), **scope
            )
        report.refresh_from_db()
        return report

    return make


def csv_rows(report: Report) -> list[dict]:
    with report.csv_file.open("rb") as file:
        return list(csv.DictReader(io.StringIO(file.read().decode())))


def test_report_totals_per_station_site_and_network(march, make_report):
    report = make_report()

    assert (report.status, report.progress, report.error) == ("done", 100, "")
    rows = {(row["level"], row["site"], row["station"]): row for row in csv_rows(report)}
    car = rows[("station", "Harbour Square", "CN-CAR-1")]
    assert car["sessions"] == "2" and car["energy_kwh"] == "25.900"
    assert (car["revenue_net_EUR"], car["revenue_tax_EUR"], car["revenue_gross_EUR"]) == (
        "12.05",
        "2.53",
        "14.58",
    )
    # 4 h of 2 connectors x 31 days = 4 / 1488
    assert car["utilisation_percent"] == "0.27" and car["faults"] == "1"
    bike = rows[("station", "Harbour Square", "CN-BIKE-1")]
    assert bike["revenue_gross_CNY"] == "1.00" and bike["revenue_gross_EUR"] == "0.00"
    far = rows[("station", "Airport", "AP-1")]
    assert far["unpriced_sessions"] == "1" and far["utilisation_percent"] == "0.13"  # 1 / 744
    harbour = rows[("site", "Harbour Square", "")]
    assert harbour["sessions"] == "3" and harbour["connectors"] == "6"
    network = rows[("network", "", "")]
    assert network["sessions"] == "4" and network["revenue_gross_EUR"] == "14.58"
    assert report.summary["revenue_gross"] == {"CNY": "1.00", "EUR": "14.58"}


def test_report_for_one_site_or_station(march, make_report):
    by_site = csv_rows(make_report(site=march["site"]))
    by_station = csv_rows(make_report(station=march["bike"]))

    assert {row["station"] for row in by_site} == {"CN-CAR-1", "CN-BIKE-1", ""}
    assert [row["station"] for row in by_station if row["level"] == "station"] == ["CN-BIKE-1"]


def test_report_xlsx_has_the_summary_and_daily_sheets(march, make_report):
    report = make_report()

    with report.xlsx_file.open("rb") as file:
        workbook = load_workbook(io.BytesIO(file.read()))

    assert workbook.sheetnames == ["Sites and stations", "Daily by site"]
    summary = list(workbook["Sites and stations"].values)
    assert summary[0][:4] == ("level", "site", "station", "connectors")
    daily = list(workbook["Daily by site"].values)
    assert daily[0] == (
        "date",
        "site",
        "sessions",
        "energy_kwh",
        "revenue_gross_CNY",
        "revenue_gross_EUR",
    )
    harbour_friday = next(row for row in daily if row[1] == "Harbour Square")
    assert harbour_friday[0].date() == date(2025, 3, 14)
    assert harbour_friday[1:4] == ("Harbour Square", 2, 19.3)
    assert harbour_friday[4:] == (1, 11.45)


def test_a_failing_report_records_its_error(march, make_report, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("billing.report_files.csv_bytes", broken)

    report = make_report()

    assert report.status == Report.Status.FAILED and report.error == "disk full"
    assert not report.csv_file


def test_a_report_for_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends before"):
        services.report_request(period_start=date(2025, 3, 2), period_end=date(2025, 3, 1))


def test_the_monthly_report_is_made_once(march, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = request_monthly_report.delay(2025, 3).get(disable_sync_subtasks=False)
        again = request_monthly_report.delay(2025, 3).get(disable_sync_subtasks=False)

    assert first == again
    report = Report.objects.get()
    assert (report.kind, report.period_start, report.period_end) == (
        "monthly",
        date(2025, 3, 1),
        date(2025, 3, 31),
    )
    assert report.status == "done"


def test_charts_show_energy_and_revenue_per_site_by_day_and_month(march):
    charts = site_charts(date(2025, 3, 1))

    titles = [chart.title for chart in charts["daily"]]
    assert titles == ["Energy", "Revenue (CNY)", "Revenue (EUR)"]
    energy = charts["daily"][0]
    assert [item["name"] for item in energy.legend] == ["Airport", "Harbour Square"]
    assert len(energy.x_labels) <= 31 and not energy.empty
    tallest = max(energy.bars, key=lambda bar: bar["h"])
    assert tallest["title"] == "Harbour Square 14: 19.3 kWh"
    monthly = charts["monthly"][0]
    assert monthly.x_labels[-1]["text"] == "2025-03"


def test_charts_of_an_empty_month_are_empty(march):
    charts = site_charts(date(2024, 1, 1))

    assert [chart.empty for chart in charts["daily"]] == [True]


def test_utilisation_never_exceeds_the_capacity(march):
    long = session(march["far"], FRIDAY - timedelta(days=1), 3 * 24 * 60, 0)  # noqa: F841
    totals = station_totals(
        march["far"], FRIDAY, FRIDAY + timedelta(hours=1), FRIDAY + timedelta(days=1)
    )

    assert totals.utilisation_percent == D("100.00")


def test_utilisation_of_a_station_created_mid_period_counts_from_its_creation(march):
    """March has 744 hours; a station created on the 31st at 00:00 existed for 24 of them.
    Its one 6-hour session occupied a quarter of that time, not 6/744 of the month."""
    month_start = FRIDAY.replace(day=1, hour=0, minute=0)
    month_end = month_start + timedelta(days=31)
    created = month_end - timedelta(days=1)
    new = make_station("NEW-1", site=march["site"], connectors=1)
    ChargingStation.objects.filter(pk=new.pk).update(created_at=created)
    new.refresh_from_db()
    session(new, created + timedelta(hours=2), 6 * 60, 1_000)

    totals = station_totals(new, month_start, month_end, month_end + timedelta(days=1))

    assert existence_window(new, month_start, month_end, month_end) == (created, month_end)
    assert totals.capacity == timedelta(hours=24)
    assert totals.utilisation_percent == D("25.00")
    # The same station created before the month counts the whole month.
    ChargingStation.objects.filter(pk=new.pk).update(created_at=month_start - timedelta(days=3))
    new.refresh_from_db()
    whole = station_totals(new, month_start, month_end, month_end + timedelta(days=1))
    assert whole.capacity == timedelta(days=31)
    assert whole.utilisation_percent == D("0.81")  # 6 / 744 h
