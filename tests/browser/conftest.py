"""Browser tests: headless Chromium (Playwright) against a live daphne on the test database.

The pages, logins and screenshots are in tests/support/browser.py.
"""

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from stations.models import IdToken, Site
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DRIVER_PASSWORD,
    OPERATOR_PASSWORD,
    STATION_ID,
    TAG,
    log_in,
    new_page,
)
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne
from tests.support.station_thread import StationThread


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
def live_station(server):
    """The server's e-bike station, speaking OCPP 1.6 from a thread of its own."""
    with StationThread(server, STATION_ID, STATION_PASSWORD) as station:
        yield station


@pytest.fixture
def operator_page(browser, server):
    """A page logged in as the operator."""
    page = new_page(browser, server)
    log_in(page)
    yield page
    page.context.close()
