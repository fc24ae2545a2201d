"""Browser tests: headless Chromium (Playwright) against a live daphne on the test database.

Chromium is Debian's /usr/bin/chromium (../shared/services.md); Playwright's own
browser download does not work on these machines.
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from stations.models import IdToken, Site
from tests.browser.station_thread import StationThread
from tests.conftest import STATION_PASSWORD, make_station
from tests.live import ROOT, live_daphne

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
OPERATOR_PASSWORD = "operator-pass-123"
DRIVER_PASSWORD = "driver-pass-123"
STATION_ID = "EB 1+上海"
TAG = "TAG-0001"


@pytest.fixture
def server(transactional_db):
    """A live daphne; an operator, a driver and an e-bike station with a card."""
    users = get_user_model().objects
    users.create_user("operator", password=OPERATOR_PASSWORD, is_staff=True)
    users.create_user("driver", password=DRIVER_PASSWORD)
    site = Site.objects.create(name="上海 Xintiandi", timezone="Asia/Shanghai")
    make_station(STATION_ID, site=site, kind="ebike", connectors=2)
    IdToken.objects.create(value=TAG)
    with live_daphne() as address:
        yield address


@pytest.fixture
def browser(server):
    """Chromium for one test, after the database is set up and closed before it is flushed.

    Playwright's sync API keeps an event loop in this thread, in which Django refuses
    database calls: a test does its database work in fixtures, before this one.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def station(server):
    with StationThread(server, STATION_ID, STATION_PASSWORD) as station:
        yield station


def new_page(browser, server: str, *, width: int = 1366, height: int = 900, locale: str = "en"):
    context = browser.new_context(
        base_url=f"http://{server}",
        viewport={"width": width, "height": height},
        locale=locale,
        extra_http_headers={"Accept-Language": locale},
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page, username: str = "operator", password: str = OPERATOR_PASSWORD) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def operator_page(browser, server):
    page = new_page(browser, server)
    log_in(page)
    yield page
    page.context.close()
