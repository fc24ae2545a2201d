"""The reliability pages: uptime per station and port, a station's outage log and
failed sessions, exclusions recorded by operators, reports; operators only."""

import pytest
from django.utils import translation

from reliability.models import Exclusion, UptimeReport
from tests.reliability.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def faulted(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00", error="GroundFailure")
    history.status(1, "Available", "2026-03-10 12:00", None)
    history.status(2, "Available", "2026-01-01 00:00", None)
    return history


def test_overview_shows_each_port_for_the_month(ops, faulted):
    page = ops.get("/reliability/", {"month": "2026-03"}).content.decode()
    assert "98.39 %" in page and "100.00 %" in page and "99.19 %" in page
    assert 'href="/reliability/stations/CP-1/?month=2026-03&amp;method=nevi"' in page


def test_uk_method_on_request(ops, faulted):
    page = ops.get("/reliability/", {"month": "2026-03", "method": "uk"}).content.decode()
    assert "UK method" in page


def test_station_page_lists_outages_and_failures(ops, faulted):
    page = ops.get("/reliability/stations/CP-1/", {"month": "2026-03"}).content.decode()
    assert "2026-03-10 00:00" in page and "GroundFailure" in page and "720" in page
    assert "No failed sessions in this period." in page


def test_recording_an_exclusion(ops, station, operator):
    answer = ops.post(
        "/reliability/exclusions/",
        {
            "station": station.pk,
            "connector_id": 1,
            "start": "2026-03-10T06:00",
            "end": "2026-03-10T18:00",
            "reason": "vandalism",
            "note": "Cable cut",
        },
    )
    assert answer.status_code == 302
    exclusion = Exclusion.objects.get()
    assert exclusion.start == at("2026-03-10 06:00")
    assert exclusion.created_by.username == "ops"
    assert "Cable cut" in ops.get("/reliability/exclusions/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"start": "2026-03-10T06:00", "end": "2026-03-10T18:00", "reason": "vandalism"},
        {"station": "", "start": "2026-03-10T18:00", "end": "2026-03-10T06:00", "reason": "x"},
    ],
)
def test_a_bad_exclusion_is_refused(ops, station, data):
    answer = ops.post("/reliability/exclusions/", data)
    assert answer.status_code == 200 and not Exclusion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_requesting_and_downloading_a_report(ops, faulted, media_root, eager_tasks):
    answer = ops.post(
        "/reliability/reports/",
        {"kind": "monthly", "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    assert answer.status_code == 302
    report = UptimeReport.objects.get()
    assert ops.get(f"/reliability/reports/{report.pk}/status/").json()["status"] == "done"
    download = ops.get(f"/reliability/reports/{report.pk}/csv/")
    assert b"month_nevi_percent" in b"".join(download.streaming_content)


def test_pages_speak_chinese(ops, faulted):
    with translation.override("zh-hans"):
        ops.cookies["django_language"] = "zh-hans"
        page = ops.get("/reliability/", {"month": "2026-03"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "可用率" in page.content.decode()


def test_operators_only(client, station):
    answer = client.get("/reliability/")
    assert answer.status_code == 302


def test_open_alarms_show_on_the_overview_and_the_alarms_page(ops, station):
    from django.utils import timezone

    from reliability.models import Alarm

    Alarm.objects.create(
        kind="connector_faulted", station=station, connector_id=2, detail="GroundFailure",
        raised_at=timezone.now(),
    )  # fmt: skip
    Alarm.objects.create(
        kind="station_offline", station=station, raised_at=timezone.now(),
        cleared_at=timezone.now(),
    )  # fmt: skip
    overview = ops.get("/").content.decode()
    assert "1 open alarm" in overview and "GroundFailure" in overview
    page = ops.get("/reliability/alarms/").content.decode()
    assert "Connector faulted" in page and "Station offline" in page
    fragment = ops.get("/reliability/alarms/", {"fragment": "alarms"}).content.decode()
    assert "<table" in fragment and "<html" not in fragment


def test_no_alarm_panel_without_alarms(ops, station):
    assert 'id="open-alarms"' not in ops.get("/").content.decode()
