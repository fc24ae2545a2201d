"""The admin's lists show a station's times in its site's zone, labelled; the rest in UTC."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reliability.models import ConnectivityPeriod, Exclusion
from stations.models import Command, OcppMessage, Reservation, Site, StationEvent
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

MOMENT = dt.datetime(2026, 11, 20, 17, 5, tzinfo=dt.UTC)
BERLIN = "2026-11-20 18:05 CET"
UTC = "2026-11-20 17:05 UTC"
LISTS = [
    "stations_chargingstation",
    "stations_command",
    "stations_ocppmessage",
    "stations_stationevent",
    "stations_reservation",
    "stations_connector",
    "reliability_connectivityperiod",
    "reliability_exclusion",
]


def station_rows(station_id: str, site: Site | None):
    """A station and one row of each kind that carries one of its times."""
    station = make_station(station_id, site=site, password=None, last_seen=MOMENT)
    Command.objects.create(station=station, action="reset", created_at=MOMENT)
    OcppMessage.objects.create(
        station=station, direction="in", message_type=2, action="Heartbeat", created_at=MOMENT
    )
    StationEvent.objects.create(station=station, kind="FirmwareStatus", timestamp=MOMENT)
    Reservation.objects.create(station=station, id_tag="TAG-1", expires_at=MOMENT)
    ConnectivityPeriod.objects.create(station=station, started_at=MOMENT)
    Exclusion.objects.create(
        station=station, start=MOMENT, end=MOMENT + dt.timedelta(hours=1), reason="other"
    )
    station.connectors.update(status_since=MOMENT)
    return station


def changelist(ops, name: str) -> str:
    return ops.get(reverse(f"admin:{name}_changelist")).content.decode()


@pytest.fixture
def berlin():
    return Site.objects.create(name="Harbour Square", timezone="Europe/Berlin")


@pytest.mark.parametrize("name", LISTS)
def test_a_station_on_a_site_shows_its_times_in_the_site_zone(ops, berlin, name):
    station_rows("CP-BER", berlin)

    page = changelist(ops, name)

    assert BERLIN in page
    assert UTC not in page


@pytest.mark.parametrize("name", LISTS)
def test_a_station_without_a_site_shows_its_times_in_utc(ops, name):
    station_rows("CP-NOWHERE", None)

    page = changelist(ops, name)

    assert UTC in page
    assert BERLIN not in page


def test_the_columns_still_sort_by_their_time(ops, berlin):
    station_rows("CP-BER", berlin)
    later = make_station("CP-LATE", site=berlin, password=None)
    Command.objects.create(station=later, action="reset", created_at=MOMENT + dt.timedelta(days=1))

    response = ops.get(reverse("admin:stations_command_changelist") + "?o=-1")

    rows = list(response.context["cl"].result_list)
    assert [row.station.station_id for row in rows] == ["CP-LATE", "CP-BER"]
    assert "2026-11-21 18:05 CET" in response.content.decode()


def test_the_banner_says_which_zone_is_which(ops):
    url = reverse("admin:stations_command_changelist")

    english = ops.get(url).content.decode()
    chinese = ops.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

    assert "Times of a station in its site's time zone, everything else in UTC" in english
    assert "充电桩的时间按其站点时区显示，其他时间按 UTC 显示" in chinese


@pytest.mark.parametrize("name", LISTS)
def test_the_site_zone_costs_no_query_per_row(ops, berlin, name):
    station_rows("CP-0", berlin)
    with CaptureQueriesContext(connection) as one:
        changelist(ops, name)
    for n in range(1, 6):
        station_rows(f"CP-{n}", Site.objects.create(name=f"Site {n}", timezone="Asia/Tokyo"))

    with CaptureQueriesContext(connection) as six:
        changelist(ops, name)

    assert len(six) == len(one)
