"""Headless Chromium for the browser tests: where it is, its pages, logins, screenshots.

Chromium is Debian's /usr/bin/chromium (apt-get install -y chromium); Playwright's own
browser download does not work on these machines.
"""

import os
from pathlib import Path

from tests.support.live import ROOT

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


def new_page(
    browser,
    server: str,
    *,
    width: int = 1366,
    height: int = 900,
    locale: str = "en",
    enforce_csp: bool = False,
):
    """A page of a fresh context. The test's own page.evaluate / wait_for_function
    strings are eval'd in the page, which the site's CSP forbids: only the CSP tests
    (`enforce_csp`) keep it in force."""
    context = browser.new_context(
        bypass_csp=not enforce_csp,
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
