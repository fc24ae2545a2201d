"""Audit of API writes: who, what, when, path, method, status and object id."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from webhooks.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def audit_middleware(settings):
    assert "api.audit.AuditMiddleware" in settings.MIDDLEWARE


def test_writes_are_recorded_with_user_and_object(api_client, operator):
    created = api_client.post("/api/v1/id-tokens/", {"value": "TAG-AUDIT"}, format="json")
    assert created.status_code == 201
    api_client.patch("/api/v1/id-tokens/TAG-AUDIT/", {"status": "blocked"}, format="json")
    api_client.delete("/api/v1/id-tokens/TAG-AUDIT/")
    api_client.get("/api/v1/id-tokens/")  # reads are not audited
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.method, e.status_code, e.object_id) for e in entries] == [
        ("POST", 201, "TAG-AUDIT"),
        ("PATCH", 200, "TAG-AUDIT"),
        ("DELETE", 204, "TAG-AUDIT"),
    ]
    assert {e.user_id for e in entries} == {operator.pk}
    assert {e.username for e in entries} == {"operator"}
    assert entries[0].path == "/api/v1/id-tokens/"
    assert entries[0].resource == "id-token-list"
    assert entries[0].created_at is not None


def test_refused_writes_are_recorded_too():
    APIClient().post("/api/v1/id-tokens/", {"value": "X"}, format="json")
    entry = AuditEntry.objects.get()
    assert (entry.status_code, entry.user, entry.username) == (401, None, "")


def test_operators_read_the_log_over_the_api(api_client):
    api_client.post("/api/v1/id-tokens/", {"value": "TAG-LOG"}, format="json")
    api_client.post("/api/v1/id-tokens/", {"value": ""}, format="json")  # 400
    log = api_client.get("/api/v1/audit-log/").json()
    assert log["count"] == 2
    newest = log["results"][0]
    assert (newest["method"], newest["status_code"], newest["username"]) == (
        "POST",
        400,
        "operator",
    )
    filtered = api_client.get("/api/v1/audit-log/?status_code=201").json()
    assert [e["object_id"] for e in filtered["results"]] == ["TAG-LOG"]
    # Reading the log writes nothing; non-operators may not read it.
    assert AuditEntry.objects.count() == 2
    driver = get_user_model().objects.create_user("driver")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=driver).key}")
    assert client.get("/api/v1/audit-log/").status_code == 403


def test_the_log_is_in_the_admin(client, api_client):
    api_client.post("/api/v1/id-tokens/", {"value": "TAG-ADMIN"}, format="json")
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456789")
    client.force_login(admin)
    page = client.get("/admin/webhooks/auditentry/")
    assert page.status_code == 200
    assert b"/api/v1/id-tokens/" in page.content
    entry = AuditEntry.objects.first()
    assert client.get(f"/admin/webhooks/auditentry/{entry.pk}/change/").status_code == 200
