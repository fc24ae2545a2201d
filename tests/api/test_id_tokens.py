"""REST API v1: ID tokens — create, list, effective status, parent by value, edit, delete."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from stations.models import ChargingSession, IdToken
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

URL = "/api/v1/id-tokens/"


def detail_url(value: str) -> str:
    return f"{URL}{quote(value, safe='')}/"


def test_needs_an_operator_token(db):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {"value": "X"}, format="json").status_code == 401
    assert not IdToken.objects.exists()


def test_create_with_defaults(api_client):
    response = api_client.post(URL, {"value": "04A2B3C4D5E6F7"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {
        "value": "04A2B3C4D5E6F7",
        "type": "ISO14443",
        "status": "accepted",
        "expires_at": None,
        "parent": None,
        "owner": None,
        "label": "",
    }
    assert IdToken.objects.get().type == IdToken.Type.ISO14443


def test_create_with_everything(api_client, operator):
    IdToken.objects.create(value="FLEET")
    payload = {
        "value": "NL-TNM-C00122045-K",
        "type": "eMAID",
        "status": "blocked",
        "expires_at": "2031-01-01T00:00:00Z",
        "parent": "FLEET",
        "owner": operator.pk,
        "label": "Van 7",
    }

    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 201, response.content
    assert response.json() == payload
    token = IdToken.objects.get(value="NL-TNM-C00122045-K")
    assert token.parent.value == "FLEET"
    assert token.owner == operator


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "value"),
        ({"value": ""}, "value"),
        ({"value": "x" * 37}, "value"),
        ({"value": "A/B"}, "value"),
        ({"value": "A\tB"}, "value"),
        ({"value": "TAKEN"}, "value"),
        ({"value": "NEW", "parent": "NO-SUCH-TOKEN"}, "parent"),
        ({"value": "NEW", "type": "Magic"}, "type"),
        ({"value": "NEW", "status": "sleeping"}, "status"),
        ({"value": "NEW", "expires_at": "soon"}, "expires_at"),
        ({"value": "NEW", "owner": 999999}, "owner"),
    ],
)
def test_create_rejects_bad_payload(api_client, payload, field):
    IdToken.objects.create(value="TAKEN")

    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert list(IdToken.objects.values_list("value", flat=True)) == ["TAKEN"]


def test_read_by_percent_encoded_value(api_client):
    IdToken.objects.create(value="A+B *C", label="odd")
    response = api_client.get(detail_url("A+B *C"))
    assert response.status_code == 200, response.content
    assert response.json()["label"] == "odd"
    assert api_client.get(detail_url("A B *C")).status_code == 404


def test_a_past_expiry_reads_expired(api_client):
    past = timezone.now() - timedelta(minutes=1)
    IdToken.objects.create(value="OLD", expires_at=past)
    IdToken.objects.create(value="BLOCKED-OLD", status="blocked", expires_at=past)

    assert api_client.get(detail_url("OLD")).json()["status"] == "expired"
    # Blocked stays blocked: expiry only turns an accepted token into expired.
    assert api_client.get(detail_url("BLOCKED-OLD")).json()["status"] == "blocked"
    # The stored status is untouched: extending the expiry makes it accepted again.
    future = (timezone.now() + timedelta(days=1)).isoformat()
    response = api_client.patch(detail_url("OLD"), {"expires_at": future}, format="json")
    assert response.json()["status"] == "accepted"


@pytest.fixture
def tokens_of_each_status(operator):
    now = timezone.now()
    driver = get_user_model().objects.create_user("driver")
    IdToken.objects.create(value="ACTIVE", owner=driver, label="Anna's card")
    IdToken.objects.create(value="FUTURE", expires_at=now + timedelta(days=1), owner=driver)
    IdToken.objects.create(value="LAPSED", expires_at=now - timedelta(days=1))
    IdToken.objects.create(value="STORED-EXPIRED", status="expired")
    IdToken.objects.create(value="BLOCKED", status="blocked", owner=operator)
    return driver


def values(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["value"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["ACTIVE", "BLOCKED", "FUTURE", "LAPSED", "STORED-EXPIRED"]),
        ({"status": "accepted"}, ["ACTIVE", "FUTURE"]),
        ({"status": "expired"}, ["LAPSED", "STORED-EXPIRED"]),
        ({"status": "blocked"}, ["BLOCKED"]),
        ({"status": "invalid"}, []),
        ({"search": "lap"}, ["LAPSED"]),
        ({"search": "anna"}, ["ACTIVE"]),
        ({"limit": 2, "offset": 1}, ["BLOCKED", "FUTURE"]),
    ],
)
def test_list_filters(api_client, tokens_of_each_status, params, expected):
    assert values(api_client.get(URL, params)) == expected


def test_list_filters_by_owner(api_client, tokens_of_each_status, operator):
    assert values(api_client.get(URL, {"owner": tokens_of_each_status.pk})) == ["ACTIVE", "FUTURE"]
    assert values(api_client.get(URL, {"owner": operator.pk})) == ["BLOCKED"]


def test_list_reports_effective_status(api_client, tokens_of_each_status):
    statuses = {t["value"]: t["status"] for t in api_client.get(URL).json()["results"]}
    assert statuses["LAPSED"] == "expired"
    assert statuses["FUTURE"] == "accepted"


def test_list_rejects_unknown_status(api_client, tokens_of_each_status):
    response = api_client.get(URL, {"status": "gone"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_parent_is_read_and_written_by_value(api_client):
    IdToken.objects.create(value="GROUP-A")
    IdToken.objects.create(value="GROUP-B")
    IdToken.objects.create(value="CARD", parent=IdToken.objects.get(value="GROUP-A"))

    assert api_client.get(detail_url("CARD")).json()["parent"] == "GROUP-A"

    response = api_client.patch(detail_url("CARD"), {"parent": "GROUP-B"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["parent"] == "GROUP-B"
    assert IdToken.objects.get(value="CARD").parent.value == "GROUP-B"

    response = api_client.patch(detail_url("CARD"), {"parent": "GROUP-C"}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()["errors"]
    assert IdToken.objects.get(value="CARD").parent.value == "GROUP-B"

    response = api_client.patch(detail_url("CARD"), {"parent": None}, format="json")
    assert response.json()["parent"] is None


def test_parent_cannot_make_a_cycle(api_client):
    top = IdToken.objects.create(value="TOP")
    middle = IdToken.objects.create(value="MIDDLE", parent=top)
    IdToken.objects.create(value="LEAF", parent=middle)

    for value, parent in [("TOP", "TOP"), ("TOP", "LEAF")]:
        response = api_client.patch(detail_url(value), {"parent": parent}, format="json")
        assert response.status_code == 400, (value, parent)
        assert "parent" in response.json()["errors"]
    assert IdToken.objects.get(value="TOP").parent is None


def test_patch_status_label_and_keeps_value(api_client):
    IdToken.objects.create(value="CARD")
    response = api_client.patch(
        detail_url("CARD"),
        {"value": "OTHER", "status": "blocked", "label": "lost"},
        format="json",
    )
    assert response.status_code == 200, response.content
    token = IdToken.objects.get()
    assert (token.value, token.status, token.label) == ("CARD", "blocked", "lost")


def test_patch_bad_payload_changes_nothing(api_client):
    IdToken.objects.create(value="CARD", label="keep")
    response = api_client.patch(
        detail_url("CARD"), {"label": "changed", "status": "sleeping"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    assert IdToken.objects.get().label == "keep"


def test_delete_keeps_the_sessions_value(api_client):
    token = IdToken.objects.create(value="CARD")
    child = IdToken.objects.create(value="CHILD", parent=token)
    station = make_station("CP-1", connectors=0)
    session = ChargingSession.objects.create(
        station=station, id_token=token, id_tag="CARD", started_at=timezone.now()
    )

    response = api_client.delete(detail_url("CARD"))

    assert response.status_code == 204
    assert not IdToken.objects.filter(value="CARD").exists()
    session.refresh_from_db()
    assert (session.id_token, session.id_tag) == (None, "CARD")
    child.refresh_from_db()
    assert child.parent is None
    assert api_client.delete(detail_url("CARD")).status_code == 404


def test_put_is_not_offered(api_client):
    IdToken.objects.create(value="CARD")
    assert api_client.put(detail_url("CARD"), {"value": "CARD"}, format="json").status_code == 405
