"""GET /api/v1/stations/<id>/uptime/ and /api/v1/uptime/?site=…: the published shape,
checked against the served schema, and bad queries answered 400 in the error shape."""

from urllib.parse import quote

import pytest

from stations.models import Site
from tests.reliability.conftest import History

WINDOW = {"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}


@pytest.fixture
def faulted(history):
    history.status(1, "Available", "2026-01-01 00:00", "2026-03-10 00:00")
    history.status(1, "Faulted", "2026-03-10 00:00", "2026-03-10 12:00", error="GroundFailure")
    history.status(1, "Available", "2026-03-10 12:00", None)
    history.status(2, "Available", "2026-01-01 00:00", None)
    return history


def test_station_uptime(api_client, faulted):
    answer = api_client.get("/api/v1/stations/CP-1/uptime/", WINDOW)
    assert answer.status_code == 200
    body = answer.json()
    assert body["station_id"] == "CP-1"
    assert body["method"] == "nevi"
    assert body["start"] == "2026-03-01T00:00:00Z"
    assert body["uptime_percent"] == "99.19"
    one, two = body["connectors"]
    assert one == {
        "connector_id": 1,
        "uptime_percent": "98.39",
        "outage_seconds": 43_200,
        "excluded_seconds": 0,
        "outages": [
            {
                "start": "2026-03-10T00:00:00Z",
                "end": "2026-03-10T12:00:00Z",
                "cause": "faulted",
                "error_code": "GroundFailure",
                "excluded_seconds": 0,
            }
        ],
    }
    assert two["uptime_percent"] == "100.00"


def test_uk_method_and_any_window(api_client, faulted):
    hours = {"start": "2026-03-10T11:00:00+01:00", "end": "2026-03-10T12:00:00Z", "method": "uk"}
    body = api_client.get("/api/v1/stations/CP-1/uptime/", hours).json()
    assert body["start"] == "2026-03-10T10:00:00Z"
    assert body["connectors"][0]["uptime_percent"] == "0.00"
    assert body["connectors"][1]["uptime_percent"] == "100.00"


def test_site_uptime(api_client, faulted, station):
    site = Site.objects.create(name="Depot Nord")
    station.site = site
    station.save()
    for key in (site.pk, "Depot Nord"):
        body = api_client.get("/api/v1/uptime/", {"site": key, **WINDOW}).json()
        assert body["site"] == "Depot Nord"
        assert [s["station_id"] for s in body["stations"]] == ["CP-1"]
        assert body["stations"][0]["uptime_percent"] == "99.19"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"end": "2026-04-01T00:00:00Z"}, "start"),
        ({"start": "2026-04-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}, "end"),
        ({**WINDOW, "method": "eu"}, "method"),
        ({"start": "yesterday", "end": "2026-04-01T00:00:00Z"}, "start"),
        ({"start": "2010-01-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}, "end"),
    ],
)
def test_bad_queries_answer_400_naming_the_field(api_client, station, query, field):
    answer = api_client.get("/api/v1/stations/CP-1/uptime/", query)
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_unknown_station_or_site_is_404(api_client, station):
    assert api_client.get("/api/v1/stations/NOPE/uptime/", WINDOW).status_code == 404
    assert api_client.get("/api/v1/uptime/", {"site": "Nowhere", **WINDOW}).status_code == 404
    answer = api_client.get("/api/v1/uptime/", WINDOW)
    assert answer.status_code == 400 and "site" in answer.json()["errors"]


@pytest.mark.station("CP 1+ä")
def test_station_ids_are_percent_encoded(api_client, station):
    History(station)
    answer = api_client.get(f"/api/v1/stations/{quote('CP 1+ä', safe='')}/uptime/", WINDOW)
    assert answer.status_code == 200 and answer.json()["station_id"] == "CP 1+ä"


def test_operators_only(client, station):
    assert client.get("/api/v1/stations/CP-1/uptime/", WINDOW).status_code in (401, 403)


def test_the_schema_publishes_the_shape(schema):
    path = schema["paths"]["/api/v1/stations/{station_id}/uptime/"]["get"]
    assert {p["name"] for p in path["parameters"]} >= {"station_id", "start", "end", "method"}
    ref = path["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(component["properties"]) == {
        "station_id",
        "start",
        "end",
        "method",
        "uptime_percent",
        "connectors",
    }
    assert component["properties"]["uptime_percent"]["type"] == "string"
    assert "/api/v1/uptime/" in schema["paths"]
