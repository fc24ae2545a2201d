"""Failed sessions per port, and the uptime reports (monthly, 15-minute intervals)
made by Celery with their CSV and XLSX files."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from reliability.failures import failed_sessions
from reliability.intervals import Interval
from reliability.models import UptimeReport
from reliability.services import report_request
from stations.models import ChargingSession, Command
from tests.reliability.conftest import at
from tests.support.factories import ChargingSessionFactory

MARCH = Interval(at("2026-03-01 00:00"), at("2026-04-01 00:00"))


def ended(station, connector, start, energy_wh, reason=""):
    return ChargingSessionFactory(
        station=station,
        connector_number=connector,
        started_at=at(start),
        ended_at=at(start) + timedelta(minutes=30),
        state=ChargingSession.State.ENDED,
        energy_wh=energy_wh,
        stop_reason=reason,
    )


@pytest.mark.django_db
def test_failed_sessions_are_found_and_counted_per_port(history):
    station = history.station
    ended(station, 1, "2026-03-02 10:00", 5_000)  # fine
    ended(station, 1, "2026-03-03 10:00", 0)  # no energy
    ended(station, 2, "2026-03-04 10:00", 800, reason="GroundFault")  # fault
    ended(station, 2, "2026-03-05 10:00", 3_000, reason="EVDisconnected")  # fine
    Command.objects.create(
        station=station,
        action="remote_start",
        params={"id_token": "TAG", "connector_id": 2},
        status=Command.Status.ACCEPTED,
        created_at=at("2026-03-06 10:00"),
    )
    linked = ended(station, 1, "2026-03-07 10:00", 2_000)
    Command.objects.create(
        station=station,
        action="remote_start",
        params={"connector_id": 1},
        status=Command.Status.ACCEPTED,
        created_at=at("2026-03-07 09:59"),
        session=linked,
    )
    failures = failed_sessions(station, MARCH)
    assert [(f["kind"], f["connector_id"]) for f in failures] == [
        ("no_energy", 1),
        ("fault", 2),
        ("remote_start_without_session", 2),
    ]


@pytest.mark.django_db
def test_a_remote_start_still_within_its_grace_is_not_yet_failed(history):
    Command.objects.create(
        station=history.station,
        action="remote_start",
        params={"connector_id": 1},
        status=Command.Status.ACCEPTED,
        created_at=timezone.now() - timedelta(seconds=30),
    )
    today = Interval(timezone.now() - timedelta(hours=1), timezone.now() + timedelta(hours=1))
    assert failed_sessions(history.station, today) == []


def _csv(report) -> list[dict]:
    with report.csv_file.open("rb") as f:
        return list(csv.DictReader(io.StringIO(f.read().decode())))


@pytest.mark.django_db(transaction=True)
def test_the_monthly_report_holds_month_and_trailing_year_per_port(
    history, media_root, eager_tasks
):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00")
    history.status(1, "Available", "2026-03-10 12:00", None)
    history.status(2, "Available", "2026-01-01 00:00", None)
    ended(history.station, 1, "2026-03-03 10:00", 0)
    report = report_request(period_start=date(2026, 3, 1), period_end=date(2026, 3, 31))
    report.refresh_from_db()
    assert report.status == UptimeReport.Status.DONE, report.error
    rows = _csv(report)
    one = next(r for r in rows if r["connector_id"] == "1")
    assert one["month_nevi_percent"] == "98.39"
    assert one["month_outage_minutes"] == "720.0"
    assert one["failed_no_energy"] == "1"
    # The station existed from 1 January: the trailing year is 90 days.
    assert one["trailing_12_months_nevi_percent"] == "99.44"
    everything = next(r for r in rows if r["connector_id"] == "all")
    assert everything["month_nevi_percent"] == "99.19"
    with report.xlsx_file.open("rb") as f:
        book = load_workbook(f)
    assert book.sheetnames == ["Uptime", "Outages", "Failed sessions"]
    assert book["Outages"]["F2"].value == "faulted"


@pytest.mark.django_db(transaction=True)
def test_the_interval_report_gives_each_port_a_row_per_quarter_hour(
    history, media_root, eager_tasks
):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 10:05")
    history.status(1, "Faulted", "2026-03-10 10:05", "2026-03-10 10:40")
    history.status(1, "Available", "2026-03-10 10:40", None)
    report = report_request(
        period_start=date(2026, 3, 10), period_end=date(2026, 3, 10), kind="intervals"
    )
    report.refresh_from_db()
    assert report.status == UptimeReport.Status.DONE, report.error
    rows = [r for r in _csv(report) if r["connector_id"] == "1"]
    assert len(rows) == 96
    by_start = {r["interval_start"][11:16]: r for r in rows}
    assert (by_start["10:00"]["state"], by_start["10:00"]["down_seconds"]) == ("down", "600")
    assert by_start["10:15"]["state"] == "down" and by_start["10:15"]["cause"] == "faulted"
    assert (by_start["10:30"]["state"], by_start["10:30"]["up_seconds"]) == ("down", "300")
    assert by_start["10:45"]["state"] == "up"


@pytest.mark.django_db
def test_bad_periods_are_refused():
    with pytest.raises(ValueError):
        report_request(period_start=date(2026, 3, 2), period_end=date(2026, 3, 1))
    with pytest.raises(ValueError):
        report_request(period_start=date(2026, 1, 1), period_end=date(2026, 6, 1), kind="intervals")
