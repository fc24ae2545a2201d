"""The operator pages with the Django test client: figures, filters, fragments."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from stations import selectors
from stations.models import (
    ChargingProfile,
    ChargingSession,
    Connector,
    DeviceModelVariable,
    MeterSample,
    Reservation,
    Site,
    StationEvent,
)
from tests.support.factories import make_station


@pytest.fixture
def harbour_and_shanghai(db):
    """Two sites, three stations; one charging, one faulted, one offline e-bike pile."""
    harbour = Site.objects.create(name="Harbour Square", timezone="Europe/Amsterdam")
    shanghai = Site.objects.create(name="上海 Xintiandi", timezone="Asia/Shanghai")
    car = make_station(
        "CN-CAR-001", site=harbour, connected=True, ocpp_version="1.6", vendor="Alfen"
    )
    ebike = make_station(
        "EB 1+上海", site=shanghai, kind="ebike", connectors=4, ocpp_version="2.0.1"
    )
    faulty = make_station("CN-CAR-002", site=harbour, connected=True, ocpp_version="1.6")
    Connector.objects.filter(station=car, connector_id=1).update(status="Charging")
    Connector.objects.filter(station=faulty, connector_id=2).update(
        status="Faulted", error_code="GroundFailure"
    )
    now = timezone.now()
    start = max(selectors.local_midnight(now, "Europe/Amsterdam"), now - dt.timedelta(hours=1))
    session = ChargingSession.objects.create(
        station=car,
        connector=car.connectors.get(connector_id=1),
        id_tag="TAG-0001",
        transaction_id="7",
        started_at=start,
        meter_start_wh=1000,
        meter_last_wh=4500,
        energy_wh=3500,
        power_w=7200,
    )
    StationEvent.objects.create(station=faulty, kind="SecurityEvent", status="TamperDetected")
    return {"car": car, "ebike": ebike, "faulty": faulty, "session": session, "harbour": harbour}


def figure(html: str, name: str) -> str:
    """The text of the element marked data-figure=name (whitespace squeezed)."""
    start = html.index(f'data-figure="{name}"')
    end = html.index("</div>", start) if "kpi" in html[start - 30 : start] else start + 400
    return " ".join(html[start:end].split())


# --- overview ---------------------------------------------------------------------


def test_overview_shows_the_network_figures(operator_client, harbour_and_shanghai):
    html = operator_client.get("/").content.decode()
    assert "2<small> / 3</small>" in figure(html, "stations-online")
    assert "1 offline" in figure(html, "stations-online")
    assert "7.2<small> kW" in figure(html, "power-now")
    assert "3.50<small> kWh" in figure(html, "energy-today")
    assert ">1<" in figure(html, "active-sessions").replace(" ", "")
    assert "<strong data-value>1</strong>" in figure(html, "status-Charging")
    assert "<strong data-value>1</strong>" in figure(html, "status-Faulted")
    assert "<strong data-value>6</strong>" in figure(html, "status-Available")
    assert "GroundFailure" in html and "TamperDetected" in html
    assert '{"subscribe": "network"}' in html


def test_overview_fragment_is_only_the_body(operator_client, harbour_and_shanghai):
    response = operator_client.get("/?fragment=body")
    html = response.content.decode()
    assert "<html" not in html and 'data-figure="energy-today"' in html


def test_overview_costs_a_fixed_number_of_queries(
    operator_client, harbour_and_shanghai, django_assert_max_num_queries
):
    for number in range(10):
        make_station(f"EXTRA-{number}", site=harbour_and_shanghai["harbour"])
    with django_assert_max_num_queries(16):
        operator_client.get("/")


def test_energy_today_counts_only_what_was_delivered_since_local_midnight(db):
    site = Site.objects.create(name="A", timezone="Asia/Shanghai")
    station = make_station("CP-1", site=site)
    now = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    midnight = dt.datetime(2026, 11, 19, 16, 0, tzinfo=dt.UTC)  # 00:00 in Shanghai
    overnight = ChargingSession.objects.create(
        station=station,
        transaction_id="1",
        started_at=midnight - dt.timedelta(hours=2),
        meter_start_wh=10_000,
        energy_wh=9_000,
    )
    MeterSample.objects.create(
        station=station,
        session=overnight,
        timestamp=midnight - dt.timedelta(minutes=5),
        measurand="Energy.Active.Import.Register",
        value=Decimal(14_000),
        unit="Wh",
    )
    ChargingSession.objects.create(
        station=station,
        transaction_id="2",
        started_at=midnight + dt.timedelta(hours=1),
        ended_at=midnight + dt.timedelta(hours=2),
        state="ended",
        energy_wh=2_000,
    )
    ChargingSession.objects.create(  # ended yesterday: nothing today
        station=station,
        transaction_id="3",
        started_at=midnight - dt.timedelta(hours=5),
        ended_at=midnight - dt.timedelta(hours=4),
        state="ended",
        energy_wh=8_000,
    )
    assert selectors.energy_today_by_site(now) == {site.pk: 5_000 + 2_000}


def test_energy_today_of_stations_without_a_site_uses_utc(db):
    station = make_station("CP-1")
    now = timezone.now()
    ChargingSession.objects.create(
        station=station,
        transaction_id="1",
        started_at=selectors.local_midnight(now, "UTC"),
        energy_wh=1234,
    )
    assert selectors.energy_today_by_site(now) == {None: 1234}


# --- station list -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["CN-CAR-001", "CN-CAR-002", "EB 1+上海"]),
        ("q=alfen", ["CN-CAR-001"]),
        ("q=上海", ["EB 1+上海"]),
        ("status=online", ["CN-CAR-001", "CN-CAR-002"]),
        ("status=offline", ["EB 1+上海"]),
        ("status=Charging", ["CN-CAR-001"]),
        ("status=Faulted", ["CN-CAR-002"]),
        ("kind=ebike", ["EB 1+上海"]),
        ("version=2.0.1", ["EB 1+上海"]),
        ("kind=car&status=Faulted", ["CN-CAR-002"]),
    ],
)
def test_station_list_filters(operator_client, harbour_and_shanghai, query, expected):
    page = operator_client.get(f"/stations/?{query}").context["page"]
    assert [station.station_id for station in page] == expected


def test_station_list_filters_by_site(operator_client, harbour_and_shanghai):
    page = operator_client.get(f"/stations/?site={harbour_and_shanghai['harbour'].pk}").context[
        "page"
    ]
    assert [s.station_id for s in page] == ["CN-CAR-001", "CN-CAR-002"]


def test_station_list_renders_chips_the_live_script_can_find(operator_client, harbour_and_shanghai):
    html = operator_client.get("/stations/").content.decode()
    car = harbour_and_shanghai["car"]
    assert f'class="chip st-Charging" data-chip="{car.pk}:1"' in html
    assert f'data-online="{car.pk}"' in html
    assert reverse("dashboard:station", args=["EB 1+上海"]) in html


def test_station_list_has_no_n_plus_one(
    operator_client, harbour_and_shanghai, django_assert_max_num_queries
):
    for number in range(20):
        make_station(f"EXTRA-{number:02}", site=harbour_and_shanghai["harbour"], connectors=3)
    with django_assert_max_num_queries(8):
        operator_client.get("/stations/")


def test_invalid_filters_are_ignored(operator_client, harbour_and_shanghai):
    page = operator_client.get("/stations/?site=999&status=Sleeping").context["page"]
    assert len(page) == 3


# --- station page -----------------------------------------------------------------


def test_station_page_shows_identity_connectors_and_the_session(
    operator_client, harbour_and_shanghai
):
    car = harbour_and_shanghai["car"]
    html = operator_client.get(reverse("dashboard:station", args=[car.station_id])).content
    html = html.decode()
    assert "Alfen" in html and "Europe/Amsterdam" in html
    assert "TAG-0001" in html
    assert 'data-figure="session-energy">3.50 kWh' in html
    assert 'data-figure="session-power">7.2 kW' in html
    session = harbour_and_shanghai["session"]
    assert f'data-session-chart="{session.pk}"' in html
    assert f'"station": {car.pk}' in html  # the live subscription


def test_station_page_of_an_id_with_spaces_and_utf8(operator_client, harbour_and_shanghai):
    response = operator_client.get("/stations/EB%201+%E4%B8%8A%E6%B5%B7/")
    assert response.status_code == 200
    assert response.context["station"] == harbour_and_shanghai["ebike"]


def test_unknown_station_is_404(operator_client, harbour_and_shanghai):
    assert operator_client.get("/stations/NOPE/").status_code == 404


def test_station_fragment_is_only_the_live_part(operator_client, harbour_and_shanghai):
    url = reverse("dashboard:station", args=["CN-CAR-001"]) + "?fragment=live"
    html = operator_client.get(url).content.decode()
    assert "<html" not in html and "TAG-0001" in html and 'id="commands"' not in html


def test_station_events_are_listed(operator_client, harbour_and_shanghai):
    html = operator_client.get(reverse("dashboard:station", args=["CN-CAR-002"])).content
    assert b"SecurityEvent" in html and b"TamperDetected" in html


def test_session_samples_are_aligned_for_the_chart(operator_client, harbour_and_shanghai):
    session = harbour_and_shanghai["session"]
    at = session.started_at
    for minute, power, energy in [(1, 7000, 1500), (2, 7200, 1620), (3, None, 1740)]:
        stamp = at + dt.timedelta(minutes=minute)
        MeterSample.objects.create(
            station=harbour_and_shanghai["car"],
            session=session,
            connector_id=1,
            timestamp=stamp,
            measurand="Energy.Active.Import.Register",
            value=Decimal(energy),
        )
        if power is not None:
            MeterSample.objects.create(
                station=harbour_and_shanghai["car"],
                session=session,
                connector_id=1,
                timestamp=stamp,
                measurand="Power.Active.Import",
                value=Decimal(power),
            )
    url = reverse("dashboard:session-samples", args=["CN-CAR-001", session.pk])
    series = operator_client.get(url).json()
    assert series["power_w"] == [7000, 7200, None]
    assert series["energy_wh"] == [500, 620, 740]
    newer = operator_client.get(url, {"after": series["t"][1]}).json()
    assert newer["energy_wh"] == [740]


def test_samples_of_another_stations_session_are_404(operator_client, harbour_and_shanghai):
    url = reverse(
        "dashboard:session-samples", args=["CN-CAR-002", harbour_and_shanghai["session"].pk]
    )
    assert operator_client.get(url).status_code == 404


def test_reported_configuration_reservations_and_profiles(operator_client, harbour_and_shanghai):
    car = harbour_and_shanghai["car"]
    connector = car.connectors.get(connector_id=2)
    DeviceModelVariable.objects.create(
        station=car, component="OCPP 1.6", variable="HeartbeatInterval", value="300"
    )
    Reservation.objects.create(
        station=car,
        connector=connector,
        id_tag="TAG-RES",
        expires_at=timezone.now() + dt.timedelta(hours=1),
        status="accepted",
    )
    ChargingProfile.objects.create(
        station=car,
        profile_id=7,
        purpose="tx_default",
        periods=[{"start_period": 0, "limit": 11000}, {"start_period": 3600, "limit": 3700}],
        status="accepted",
    )
    html = operator_client.get(reverse("dashboard:station", args=[car.station_id])).content
    html = " ".join(html.decode().split())
    assert "<code>HeartbeatInterval</code>" in html and ">300<" in html.replace(" ", "")
    assert "TAG-RES" in html
    assert "TxDefaultProfile" in html and "11000 W, 3700 W @3600s" in html


def test_station_page_costs_a_fixed_number_of_queries(
    operator_client, harbour_and_shanghai, django_assert_max_num_queries
):
    url = reverse("dashboard:station", args=["CN-CAR-001"])
    # The page, its live part and what the station holds (five lists): no query per row.
    with django_assert_max_num_queries(20):
        operator_client.get(url)
