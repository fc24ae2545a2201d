"""The API explains itself offline: Swagger UI and Redoc, their scripts, styles and the
schema all come from this server (drf-spectacular-sidecar's files), no other host.
"""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

# What a browser would fetch from a page: src/href attributes and CSS url(...)s.
ASSET = re.compile(r'(?:src|href|spec-url)="([^"]+)"')
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")
# Hosts these bundles are known to load from when not self-hosted.
CDNS = ("cdn.jsdelivr.net", "unpkg.com", "fonts.googleapis.com", "fonts.gstatic.com", "cdnjs")


def body(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def same_host(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") or url.startswith("data:")


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_and_everything_they_load_come_from_this_server(page):
    client = Client()
    html = body(client.get(page))
    assets = ASSET.findall(html)
    assert assets, "the page loads its viewer from somewhere"

    for url in assets:
        assert same_host(url), url
        response = client.get(url)
        assert response.status_code == 200, url
        text = body(response)
        for cdn in CDNS:
            assert cdn not in text, (url, cdn)
        if url.endswith(".css"):
            assert all(
                same_host(u) or not u.startswith(("http", "//")) for u in CSS_URL.findall(text)
            )
        if "?script=" in url:  # the page's own initialising script names the schema here
            assert not re.search(r"https?://(?!testserver)", text), text

    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


def test_the_swagger_script_points_at_this_servers_schema():
    script = body(Client().get("/api/v1/docs/?script="))
    assert '"/api/v1/schema/"' in script or "'/api/v1/schema/'" in script


def test_the_api_root_lists_its_resources_with_links_that_answer(api_client):
    root = api_client.get("/api/v1/").json()

    assert {"stations", "sessions", "tariffs", "invoices", "reports"} <= set(root["resources"])
    for name, link in root["resources"].items():
        assert api_client.get(link).status_code == 200, name
    assert api_client.get(root["docs"]).status_code == 200
