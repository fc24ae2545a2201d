"""REST API v1: the OpenAPI schema is served, documents the contract and validates."""

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_schema_lists_the_v1_resources(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/stations/"]) == {"get", "post"}
    assert set(paths["/api/v1/stations/{station_id}/"]) == {"get", "patch"}
    assert set(paths["/api/v1/sessions/"]) == {"get"}
    assert set(paths["/api/v1/sessions/{id}/"]) == {"get"}
    assert set(paths["/api/v1/id-tokens/"]) == {"get", "post"}
    assert set(paths["/api/v1/id-tokens/{value}/"]) == {"get", "patch", "delete"}


def test_schema_documents_station_fields(schema):
    components = schema["components"]["schemas"]
    station = components["Station"]["properties"]
    assert set(station) == {
        "station_id",
        "site",
        "kind",
        "vendor",
        "model",
        "serial_number",
        "firmware_version",
        "ocpp_version",
        "registration_status",
        "security_profile",
        "status",
        "connected",
        "last_seen",
        "connectors",
    }
    request = components["StationRequest"]["properties"]
    assert request["password"]["writeOnly"] is True
    assert (request["password"]["minLength"], request["password"]["maxLength"]) == (16, 40)
    assert "connector_count" in request
    # On edit the station id and what the station reports are not writable.
    patch = components["PatchedStationRequest"]["properties"]
    assert {"station_id", "vendor", "status", "connected", "connector_count"}.isdisjoint(patch)
    assert {"registration_status", "password", "site", "kind"} <= set(patch)


def test_every_field_is_described(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.startswith("Paginated"):
            continue
        for field, spec in component.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_errors_are_documented(schema):
    operation = schema["paths"]["/api/v1/stations/"]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "403"}
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_token_auth_is_declared(schema):
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    operation = schema["paths"]["/api/v1/sessions/"]["get"]
    assert {"tokenAuth": []} in operation["security"]


def test_docs_page_is_served(db):
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_schema_validates_without_warnings(db, tmp_path):
    """What `manage.py spectacular --validate --fail-on-warn` checks in CI."""
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")
