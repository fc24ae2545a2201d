"""REST API v1: POST /api/v1/stations/bulk/ registers many stations, all or nothing."""

import time

import pytest
from django.contrib.auth.hashers import check_password
from django.core.cache import caches
from rest_framework.test import APIClient

from api.throttling import TokenRateThrottle
from stations.models import ChargingStation, Connector, Site
from stations.provisioning.bulk import MAX_ROWS
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

URL = "/api/v1/stations/bulk/"
PASSWORD = "0123456789abcdef"


def rows(count: int, prefix: str = "BULK-", **fields) -> list[dict]:
    return [
        {"station_id": f"{prefix}{n:05d}", "password": f"{PASSWORD}{n:05d}", **fields}
        for n in range(count)
    ]


def test_registers_every_row_with_password_and_connectors(api_client):
    site = Site.objects.create(name="Depot")
    body = [
        {"station_id": "B-1", "password": PASSWORD, "site": site.pk, "connector_count": 2},
        {"station_id": "B 2+ä", "kind": "ebike", "registration_status": "pending"},
        {"station_id": "B-3", "password": "x" * 40, "security_profile": 2},
    ]
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert [row["station_id"] for row in data] == ["B-1", "B 2+ä", "B-3"]
    assert data[0]["site"] == site.pk
    assert [c["connector_id"] for c in data[0]["connectors"]] == [1, 2]
    assert {c["status"] for c in data[0]["connectors"]} == {"Unavailable"}
    assert data[1]["kind"] == "ebike" and data[1]["registration_status"] == "pending"
    assert all("password" not in row for row in data)
    first = ChargingStation.objects.get(station_id="B-1")
    assert first.password.startswith("station_pbkdf2_sha256$")
    assert check_password(PASSWORD, first.password)
    assert first.check_password(PASSWORD) and not first.check_password(PASSWORD + "x")
    assert ChargingStation.objects.get(station_id="B 2+ä").password == ""
    assert ChargingStation.objects.get(station_id="B-3").check_password("x" * 40)
    assert Connector.objects.filter(station__station_id="B-1").count() == 2


def test_a_bad_row_registers_nothing_and_names_the_row(api_client):
    body = rows(5)
    body[1]["password"] = "short"
    body[3]["station_id"] = "has:colon"
    body[3]["kind"] = "truck"
    body[4]["site"] = 999_999
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    payload = response.json()
    assert payload["detail"] == "Invalid rows; no station was registered."
    errors = payload["errors"]
    assert set(errors) == {"1", "3", "4"}
    assert list(errors["1"]) == ["password"]
    assert set(errors["3"]) == {"station_id", "kind"}
    assert "must not contain ':'" in errors["3"]["station_id"][0]
    assert list(errors["4"]) == ["site"]
    assert not ChargingStation.objects.exists()


def test_an_id_twice_in_the_batch_is_refused_on_both_rows(api_client):
    body = rows(4)
    body[3]["station_id"] = body[0]["station_id"]
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"0", "3"}
    assert errors["0"]["station_id"] == ["This station id is given again in row 3."]
    assert errors["3"]["station_id"] == ["This station id is given again in row 0."]
    assert not ChargingStation.objects.exists()


def test_an_id_already_registered_is_refused_and_nothing_else_is_registered(api_client):
    make_station("BULK-00002")
    response = api_client.post(URL, rows(4), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "2": {"station_id": ["A station with this id is already registered."]}
    }
    assert list(ChargingStation.objects.values_list("station_id", flat=True)) == ["BULK-00002"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"station_id": "X"}, "Expected a list of stations."),
        ([], "The list is empty."),
        ([{"station_id": f"S{n}"} for n in range(MAX_ROWS + 1)], f"At most {MAX_ROWS}"),
    ],
)
def test_a_body_that_is_no_list_of_rows_is_refused(api_client, body, message):
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert message in response.json()["errors"]["non_field_errors"][0]
    assert not ChargingStation.objects.exists()


def test_a_row_that_is_no_object_is_refused(api_client):
    response = api_client.post(URL, [{"station_id": "OK-1"}, "nope"], format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["1"]
    assert not ChargingStation.objects.exists()


def test_operators_only(db):
    response = APIClient().post(URL, rows(1), format="json")
    assert response.status_code == 401
    assert not ChargingStation.objects.exists()


def test_the_call_counts_as_one_request_against_the_rate_limit(api_client, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "get_rate", lambda self: "2/min")
    caches["default"].clear()
    assert api_client.post(URL, rows(50), format="json").status_code == 201
    assert api_client.post(URL, rows(50, prefix="MORE-"), format="json").status_code == 201
    assert api_client.post(URL, rows(1, prefix="LAST-"), format="json").status_code == 429
    assert ChargingStation.objects.count() == 100


def test_two_thousand_stations_in_one_call(api_client, capsys):
    body = rows(2_000, connector_count=2)
    started = time.perf_counter()
    response = api_client.post(URL, body, format="json")
    elapsed = time.perf_counter() - started
    assert response.status_code == 201
    assert len(response.json()) == 2_000
    assert ChargingStation.objects.count() == 2_000
    assert Connector.objects.count() == 4_000
    last = ChargingStation.objects.get(station_id="BULK-01999")
    assert last.check_password(f"{PASSWORD}01999")
    with capsys.disabled():
        print(f"\n2,000 stations registered through the API in {elapsed:.1f} s")
