"""REST API v1: stations — auth, list/filter/paginate, detail by odd ids, register, edit."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stations.models import ChargingStation, Connector, Site
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

URL = "/api/v1/stations/"
GOOD_PASSWORD = "0123456789abcdef"  # 16 characters, the shortest allowed


def detail_url(station_id: str) -> str:
    return f"{URL}{quote(station_id, safe='')}/"


# --- authentication and permission ------------------------------------------------


def test_no_token_answers_401_with_challenge(db):
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "errors": {},
    }


def test_invalid_token_answers_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_non_staff_user_answers_403(db):
    driver = get_user_model().objects.create_user("driver", password="driver-pass-123")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=driver).key}")
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json() == {"detail": "Operator (staff) access is required.", "errors": {}}
    assert client.post(URL, {"station_id": "X"}, format="json").status_code == 403
    assert not ChargingStation.objects.filter(station_id="X").exists()


def test_staff_session_login_works(operator):
    client = APIClient()
    client.force_login(operator)
    assert client.get(URL).status_code == 200


# --- list, filters, pagination -----------------------------------------------------


def test_list_shows_station_fields_and_hides_connector_zero(api_client):
    site = Site.objects.create(name="Depot")
    station = make_station(
        "CP-1",
        site=site,
        vendor="V",
        model="M",
        serial_number="S1",
        firmware_version="1.2",
        ocpp_version="1.6",
        status="Available",
        connected=True,
        last_seen=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )
    Connector.objects.create(station=station, connector_id=0, status="Faulted")

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item == {
        "station_id": "CP-1",
        "site": site.pk,
        "kind": "car",
        "vendor": "V",
        "model": "M",
        "serial_number": "S1",
        "firmware_version": "1.2",
        "ocpp_version": "1.6",
        "registration_status": "accepted",
        "security_profile": 1,
        "status": "Available",
        "connected": True,
        "last_seen": "2026-03-01T12:00:00Z",
        "connectors": [
            {
                "connector_id": number,
                "evse_id": None,
                "status": "Available",
                "error_code": "NoError",
                "status_since": item["connectors"][number - 1]["status_since"],
            }
            for number in (1, 2)
        ],
    }
    assert "password" not in item


def test_list_paginates_with_limit_and_offset(api_client):
    for number in range(5):
        make_station(f"CP-{number}", connectors=0)

    first = api_client.get(URL, {"limit": 2}).json()
    second = api_client.get(URL, {"limit": 2, "offset": 2}).json()

    assert first["count"] == 5
    assert [s["station_id"] for s in first["results"]] == ["CP-0", "CP-1"]
    assert [s["station_id"] for s in second["results"]] == ["CP-2", "CP-3"]
    assert "offset=2" in first["next"]
    assert first["previous"] is None


@pytest.fixture
def depot_and_harbour(db):
    depot = Site.objects.create(name="Depot")
    harbour = Site.objects.create(name="Harbour")
    make_station(
        "CAR-1",
        site=depot,
        status="Available",
        ocpp_version="1.6",
        connected=True,
        vendor="Alfen",
    )
    make_station(
        "BIKE-1",
        site=harbour,
        kind="ebike",
        status="Faulted",
        ocpp_version="2.0.1",
        registration_status="pending",
        vendor="Zhida",
    )
    make_station("NEW-1", registration_status="rejected", model="Eve Mini")
    return depot, harbour


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["station_id"] for item in response.json()["results"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"site": "Harbour"}, ["BIKE-1"]),
        ({"status": "faulted"}, ["BIKE-1"]),
        ({"status": "Available"}, ["CAR-1"]),
        ({"kind": "ebike"}, ["BIKE-1"]),
        ({"kind": "car"}, ["CAR-1", "NEW-1"]),
        ({"ocpp_version": "2.0.1"}, ["BIKE-1"]),
        ({"connected": "true"}, ["CAR-1"]),
        ({"connected": "false"}, ["BIKE-1", "NEW-1"]),
        ({"registration_status": "pending"}, ["BIKE-1"]),
        ({"registration_status": "rejected"}, ["NEW-1"]),
        ({"search": "zhida"}, ["BIKE-1"]),
        ({"search": "eve"}, ["NEW-1"]),
        ({"search": "harbour"}, ["BIKE-1"]),
        ({"kind": "car", "connected": "true"}, ["CAR-1"]),
    ],
)
def test_list_filters(api_client, depot_and_harbour, params, expected):
    assert ids(api_client.get(URL, params)) == expected


def test_list_filters_site_by_id(api_client, depot_and_harbour):
    depot, _ = depot_and_harbour
    assert ids(api_client.get(URL, {"site": str(depot.pk)})) == ["CAR-1"]


def test_list_rejects_an_unknown_choice(api_client, depot_and_harbour):
    response = api_client.get(URL, {"kind": "scooter"})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert "kind" in body["errors"]


# --- detail by station id ----------------------------------------------------------


@pytest.mark.parametrize(
    "station_id", ["RDAM 123", "A+B*C", "Ström-Säule 7", "CP.1", "充电桩-1", "a%b", "x" * 48]
)
def test_detail_by_percent_encoded_id(api_client, station_id):
    make_station(station_id)
    make_station("OTHER")

    response = api_client.get(detail_url(station_id))

    assert response.status_code == 200, response.content
    assert response.json()["station_id"] == station_id
    assert [c["connector_id"] for c in response.json()["connectors"]] == [1, 2]


def test_detail_plus_in_a_path_is_a_plus(api_client):
    """A path is not a form: a raw '+' is a plus sign, never a space."""
    make_station("A+B")
    make_station("A B")
    assert api_client.get(f"{URL}A+B/").json()["station_id"] == "A+B"
    assert api_client.get(f"{URL}A%20B/").json()["station_id"] == "A B"


def test_detail_unknown_station_answers_404_json(api_client):
    response = api_client.get(detail_url("NOPE"))
    assert response.status_code == 404
    assert response.json()["errors"] == {}
    assert response.json()["detail"]


# --- register ----------------------------------------------------------------------


def test_register_with_password_stores_it_hashed(api_client):
    site = Site.objects.create(name="Depot")
    payload = {
        "station_id": "RDAM 123",
        "site": site.pk,
        "kind": "ebike",
        "registration_status": "pending",
        "password": GOOD_PASSWORD,
        "connector_count": 3,
    }

    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert "password" not in body
    assert "connector_count" not in body
    assert GOOD_PASSWORD not in response.content.decode()
    assert body["station_id"] == "RDAM 123"
    assert body["site"] == site.pk
    assert body["kind"] == "ebike"
    assert body["registration_status"] == "pending"
    assert [(c["connector_id"], c["status"]) for c in body["connectors"]] == [
        (1, "Unavailable"),
        (2, "Unavailable"),
        (3, "Unavailable"),
    ]
    station = ChargingStation.objects.get(station_id="RDAM 123")
    assert station.password.startswith("station_pbkdf2_sha256$")
    assert GOOD_PASSWORD not in station.password
    assert station.check_password(GOOD_PASSWORD)
    assert not station.check_password(GOOD_PASSWORD + "x")
    assert api_client.get(detail_url("RDAM 123")).json() == body


def test_register_minimal_has_defaults_and_no_password(api_client):
    response = api_client.post(URL, {"station_id": "A+B*C"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["registration_status"] == "accepted"
    assert body["kind"] == "car"
    assert body["site"] is None
    assert body["connectors"] == []
    assert body["connected"] is False
    station = ChargingStation.objects.get(station_id="A+B*C")
    assert station.password == ""


def test_register_accepts_station_reported_fields(api_client):
    payload = {
        "station_id": "IMPORTED",
        "vendor": "ABB",
        "model": "Terra",
        "serial_number": "T-1",
        "firmware_version": "1.0",
        "ocpp_version": "2.0.1",
        "status": "Unavailable",
        "password": "p" * 40,  # the longest allowed
    }
    response = api_client.post(URL, payload, format="json")
    assert response.status_code == 201, response.content
    station = ChargingStation.objects.get(station_id="IMPORTED")
    assert (station.vendor, station.ocpp_version, station.status) == (
        "ABB",
        "2.0.1",
        "Unavailable",
    )
    assert station.check_password("p" * 40)


def test_register_keeps_whitespace_in_password(api_client):
    password = "  sixteen chars  "
    response = api_client.post(URL, {"station_id": "WS", "password": password}, format="json")
    assert response.status_code == 201, response.content
    assert ChargingStation.objects.get(station_id="WS").check_password(password)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"station_id": ""}, "station_id"),
        ({"station_id": "x" * 49}, "station_id"),
        ({"station_id": "CP:1"}, "station_id"),
        ({"station_id": "CP/1"}, "station_id"),
        ({"station_id": "CP\n1"}, "station_id"),
        ({"station_id": "CP\x001"}, "station_id"),
        ({"station_id": "CP\u200b1"}, "station_id"),
        ({"station_id": "EXISTS"}, "station_id"),
        ({}, "station_id"),
        ({"station_id": "NEW", "password": "p" * 15}, "password"),
        ({"station_id": "NEW", "password": "p" * 41}, "password"),
        ({"station_id": "NEW", "password": ""}, "password"),
        ({"station_id": "NEW", "kind": "scooter"}, "kind"),
        ({"station_id": "NEW", "registration_status": "maybe"}, "registration_status"),
        ({"station_id": "NEW", "ocpp_version": "1.5"}, "ocpp_version"),
        ({"station_id": "NEW", "status": "Sleeping"}, "status"),
        ({"station_id": "NEW", "site": 999999}, "site"),
        ({"station_id": "NEW", "connector_count": -1}, "connector_count"),
        ({"station_id": "NEW", "connector_count": 101}, "connector_count"),
    ],
)
def test_register_rejects_bad_payload(api_client, payload, field):
    make_station("EXISTS", connectors=0)
    before = ChargingStation.objects.count()

    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert field in body["errors"], body
    assert ChargingStation.objects.count() == before
    assert not Connector.objects.exists()


def test_register_rejects_malformed_json(api_client):
    response = api_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {}
    assert "JSON" in response.json()["detail"]


# --- edit --------------------------------------------------------------------------


def test_patch_registration_status(api_client):
    make_station("RDAM 123", registration_status="pending")

    response = api_client.patch(
        detail_url("RDAM 123"), {"registration_status": "accepted"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["registration_status"] == "accepted"
    assert ChargingStation.objects.get(station_id="RDAM 123").registration_status == "accepted"


def test_patch_site_and_kind(api_client):
    site = Site.objects.create(name="Depot")
    make_station("CP-1")
    response = api_client.patch(
        detail_url("CP-1"), {"site": site.pk, "kind": "ebike"}, format="json"
    )
    assert response.status_code == 200, response.content
    station = ChargingStation.objects.get(station_id="CP-1")
    assert (station.site, station.kind) == (site, "ebike")
    response = api_client.patch(detail_url("CP-1"), {"site": None}, format="json")
    assert ChargingStation.objects.get(station_id="CP-1").site is None


def test_patch_password_replaces_and_null_removes_it(api_client):
    make_station("CP-1")
    new_password = "new-secret-000001"

    response = api_client.patch(detail_url("CP-1"), {"password": new_password}, format="json")

    assert response.status_code == 200, response.content
    assert "password" not in response.json()
    station = ChargingStation.objects.get(station_id="CP-1")
    assert station.check_password(new_password)
    assert not station.check_password("station-secret-0001")

    response = api_client.patch(detail_url("CP-1"), {"password": None}, format="json")
    assert response.status_code == 200
    assert ChargingStation.objects.get(station_id="CP-1").password == ""


def test_patch_leaves_station_reported_fields_and_id_alone(api_client):
    make_station("CP-1", vendor="V", status="Available", registration_status="pending")
    response = api_client.patch(
        detail_url("CP-1"),
        {
            "station_id": "RENAMED",
            "vendor": "X",
            "status": "Faulted",
            "connected": True,
            "registration_status": "accepted",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    station = ChargingStation.objects.get(pk=ChargingStation.objects.get().pk)
    assert (station.station_id, station.vendor, station.status, station.connected) == (
        "CP-1",
        "V",
        "Available",
        False,
    )
    assert station.registration_status == "accepted"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"registration_status": "maybe", "kind": "ebike"}, "registration_status"),
        ({"password": "short", "kind": "ebike"}, "password"),
        ({"site": 999999, "kind": "ebike"}, "site"),
        ({"kind": "scooter", "registration_status": "rejected"}, "kind"),
    ],
)
def test_patch_rejects_bad_payload_and_changes_nothing(api_client, payload, field):
    make_station("CP-1", registration_status="pending")
    before = ChargingStation.objects.values().get()

    response = api_client.patch(detail_url("CP-1"), payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert ChargingStation.objects.values().get() == before


def test_patch_unknown_station_answers_404(api_client):
    response = api_client.patch(detail_url("NOPE"), {"kind": "ebike"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_are_not_offered(api_client, method):
    make_station("CP-1")
    response = getattr(api_client, method)(detail_url("CP-1"), {}, format="json")
    assert response.status_code == 405
    assert ChargingStation.objects.filter(station_id="CP-1").exists()


def test_register_race_answers_400_not_500(api_client, monkeypatch):
    """A station registered between validation and save (e.g. it connected as pending)."""
    from rest_framework.validators import UniqueValidator

    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    make_station("CP-1", connectors=0)

    response = api_client.post(URL, {"station_id": "CP-1", "connector_count": 2}, format="json")

    assert response.status_code == 400
    assert "station_id" in response.json()["errors"]
    assert ChargingStation.objects.count() == 1
    assert not Connector.objects.exists()


def test_list_query_count_does_not_grow_with_stations(api_client, django_assert_max_num_queries):
    site = Site.objects.create(name="Depot")
    for number in range(10):
        make_station(f"CP-{number}", site=site, connectors=3)
    # auth token, count, stations, connectors
    with django_assert_max_num_queries(4):
        response = api_client.get(URL)
    assert len(response.json()["results"]) == 10
