"""Pages under the Content-Security-Policy in a real browser: nothing they need is blocked."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in, new_page

pytestmark = [pytest.mark.live, pytest.mark.browser]


def violations(page) -> list[str]:
    """Console messages of CSP refusals of what a page runs (scripts, styles, sockets,
    workers), and script errors, gathered from now on. A picture another host would
    serve (Redoc's "by Redocly" logo) is refused by design and not counted."""
    found: list[str] = []

    def seen(message) -> None:
        text = message.text
        if "Content Security Policy" in text and "Loading the image" not in text:
            found.append(text)

    page.on("console", seen)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_the_api_docs_render_under_the_policy(browser, server):
    page = new_page(browser, server, enforce_csp=True)
    refused = violations(page)
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    page.goto("/api/v1/redoc/")
    expect(page.get_by_text("ChargeNet API").first).to_be_visible(timeout=15_000)
    assert refused == []
    page.context.close()


def test_the_operator_pages_run_their_scripts_under_the_policy(browser, server):
    page = new_page(browser, server, enforce_csp=True)
    log_in(page)
    refused = violations(page)
    for path in ("/", "/stations/", "/sessions/", "/billing/reports/", "/me/"):
        page.goto(path)
        expect(page.locator("main, body").first).to_be_visible()
    page.goto("/stations/")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")
    assert refused == []
    page.context.close()
