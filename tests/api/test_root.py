"""GET /api/v1/ lists the resources; the docs are served without the internet."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_api_root_lists_every_resource_and_document():
    answer = Client().get("/api/v1/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["version"] == "v1"
    for resource in ("stations", "sessions", "id-tokens", "commands", "tariffs", "invoices"):
        assert body["resources"][resource] == f"http://testserver/api/v1/{resource}/"
    assert body["schema"] == "http://testserver/api/v1/schema/"
    assert body["docs"] == "http://testserver/api/v1/docs/"


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_docs_load_nothing_from_another_host(page):
    answer = Client().get(page)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


def test_pages_carry_a_content_security_policy():
    answer = Client().get("/api/v1/docs/")
    policy = answer["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    scripts = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert scripts.startswith("script-src 'self'") and "unsafe" not in scripts
