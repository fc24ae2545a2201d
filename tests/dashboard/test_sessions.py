"""The sessions page: filters and the CSV export."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from stations.models import ChargingSession, Site
from tests.support.factories import make_station


@pytest.fixture
def zoned_sessions(db):
    amsterdam = Site.objects.create(name="Harbour Square", timezone="Europe/Amsterdam")
    shanghai = Site.objects.create(name="Xintiandi", timezone="Asia/Shanghai")
    car = make_station("CN-CAR-001", site=amsterdam)
    ebike = make_station("EB 1+上海", site=shanghai, kind="ebike")
    day = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)

    def add(station, tx, tag, started, state="ended", energy=1000):
        return ChargingSession.objects.create(
            station=station,
            connector=station.connectors.first(),
            transaction_id=tx,
            id_tag=tag,
            started_at=started,
            ended_at=None if state == "active" else started + dt.timedelta(hours=1),
            state=state,
            energy_wh=energy,
        )

    return {
        "amsterdam": amsterdam,
        "a": add(car, "1", "TAG-AAA", day - dt.timedelta(days=2)),
        "b": add(car, "2", "TAG-BBB", day, energy=2500),
        # 23:30 UTC on the 20th is already the 21st in Shanghai.
        "c": add(ebike, "3", "=HYPERLINK(1)", day.replace(hour=23, minute=30), "active"),
    }


def listed(client, query: str) -> list[str]:
    return [s.transaction_id for s in client.get(f"/sessions/?{query}").context["page"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["3", "2", "1"]),
        ("state=active", ["3"]),
        ("state=ended", ["2", "1"]),
        ("station=CN-CAR-001", ["2", "1"]),
        ("station=EB+1%2B上海", ["3"]),
        ("token=bbb", ["2"]),
        ("since=2026-11-20", ["3", "2"]),
        ("until=2026-11-19", ["1"]),
        ("since=2026-11-20&until=2026-11-20", ["3", "2"]),
    ],
)
def test_session_filters(operator_client, zoned_sessions, query, expected):
    assert listed(operator_client, query) == expected


def test_date_filters_use_the_chosen_sites_time_zone(operator_client, zoned_sessions):
    shanghai = Site.objects.get(name="Xintiandi")
    assert listed(operator_client, f"site={shanghai.pk}&since=2026-11-21") == ["3"]
    assert listed(operator_client, f"site={shanghai.pk}&until=2026-11-20") == []


def test_site_filter(operator_client, zoned_sessions):
    assert listed(operator_client, f"site={zoned_sessions['amsterdam'].pk}") == ["2", "1"]


def test_times_are_shown_in_the_sites_time_zone(operator_client, zoned_sessions):
    html = operator_client.get("/sessions/?state=active").content.decode()
    assert "2026-11-21 07:30" in html  # Shanghai, UTC+8


def test_invalid_dates_are_reported_and_ignored(operator_client, zoned_sessions):
    response = operator_client.get("/sessions/?since=yesterday")
    assert len(response.context["page"]) == 3
    assert b"Some filters are not valid" in response.content


async def read_csv(async_client, query: str) -> list[dict]:
    response = await async_client.get(f"/sessions/?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="sessions-')
    body = b"".join([chunk async for chunk in response.streaming_content]).decode()
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


@pytest.mark.django_db(transaction=True)
async def test_csv_export_follows_the_filters(async_client, operator, zoned_sessions):
    await async_client.aforce_login(operator)
    rows = await read_csv(async_client, "format=csv&station=CN-CAR-001")
    assert [row["transaction_id"] for row in rows] == ["1", "2"]
    assert rows[1]["energy_wh"] == "2500"
    assert rows[1]["started_at"] == "2026-11-20T10:00:00+01:00"
    assert rows[1]["time_zone"] == "Europe/Amsterdam"
    assert rows[1]["site"] == "Harbour Square"


@pytest.mark.django_db(transaction=True)
async def test_csv_export_defuses_formulas(async_client, operator, zoned_sessions):
    await async_client.aforce_login(operator)
    rows = await read_csv(async_client, "format=csv&state=active")
    assert rows[0]["id_tag"] == "'=HYPERLINK(1)"
    assert rows[0]["station_id"] == "EB 1+上海"


@pytest.mark.django_db(transaction=True)
async def test_csv_export_streams_in_batches(async_client, operator, zoned_sessions, monkeypatch):
    monkeypatch.setattr("stations.views.sessions.CSV_BATCH", 1)
    await async_client.aforce_login(operator)
    rows = await read_csv(async_client, "format=csv")
    assert len(rows) == 3


def test_csv_needs_an_operator(client, zoned_sessions):
    assert client.get("/sessions/?format=csv").status_code == 302


def test_sessions_page_has_no_n_plus_one(
    operator_client, zoned_sessions, django_assert_max_num_queries
):
    station = make_station("MANY")
    for number in range(30):
        ChargingSession.objects.create(
            station=station, transaction_id=f"m{number}", started_at=timezone.now()
        )
    with django_assert_max_num_queries(8):
        operator_client.get("/sessions/")
