"""The reports page in headless Chromium against a live daphne: a report being made shows
its progress and appears, with its files, when ready; the charts are drawn.

It needs billing's pages in chargenet/urls.py (a live daphne serves the project's URLs)
and skips until they are there.
"""

import os
import threading
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from billing.models import Report
from tests.support.billing import FRIDAY, assign, car_tariff, network, session
from tests.support.live import live_daphne

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"]
PASSWORD = "operator-pass-123"


def _pages_wired() -> bool:
    try:
        reverse("billing:report-list")
    except NoReverseMatch:
        return False
    return True


pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not _pages_wired(), reason="billing pages are not in chargenet/urls.py"),
]


@pytest.fixture
def reports_server(transactional_db):
    """A live daphne; an operator, a priced session and a report 40 % made."""
    get_user_model().objects.create_user("operator", password=PASSWORD, is_staff=True)
    _, car, _ = network()
    assign(car_tariff(), station=car)
    from billing import services

    services.session_price(session(car, FRIDAY, 60, 7_400))
    report = Report.objects.create(
        period_start=date(2025, 3, 1), period_end=date(2025, 3, 31), status="running", progress=40
    )
    with live_daphne() as address:
        yield address, report


@pytest.fixture
def reports_page(reports_server):
    """The reports page of March 2025, logged in as the operator."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    address, _ = reports_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=f"http://{address}", bypass_csp=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/admin/login/?next=/billing/reports/%3Fmonth%3D2025-03")
        page.fill("#id_username", "operator")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        yield page
        browser.close()


def in_another_thread(work) -> None:
    """Database work off Playwright's thread, which runs an event loop Django refuses."""
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


def test_a_report_shows_its_progress_and_appears_when_ready(reports_server, reports_page):
    from playwright.sync_api import expect

    _, report = reports_server
    page = reports_page
    row = page.locator(f'tr[data-report="{report.pk}"]')
    expect(row.locator("progress")).to_have_attribute("value", "40")
    expect(page.locator("svg[aria-label=Energy]").first).to_be_visible()

    in_another_thread(lambda: Report.objects.filter(pk=report.pk).update(progress=80))
    page.wait_for_function(
        f"document.querySelector('tr[data-report=\"{report.pk}\"] progress').value == 80"
    )
    in_another_thread(
        lambda: Report.objects.filter(pk=report.pk).update(
            status="done", progress=100, summary={"sessions": 1, "energy_kwh": "7.400"}
        )
    )

    expect(row.get_by_role("link", name="XLSX")).to_be_visible()  # after the reload
    expect(row).to_contain_text("7.400 kWh")
