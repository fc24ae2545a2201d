"""The Billing section, the live sessions page and the confirmations in headless Chromium,
against a live daphne and a station speaking OCPP 1.6, on a desktop and at phone width,
in English and Chinese.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    OPERATOR_PASSWORD,
    STATION_ID,
    TAG,
    log_in,
    new_page,
    screenshot,
)

pytestmark = [pytest.mark.live, pytest.mark.browser]

STATION_URL = "/stations/EB%201+%E4%B8%8A%E6%B5%B7/"
PHONE = {"width": 390, "height": 844}
MENUS = {
    "en": ["Tariffs", "Invoices", "Reports", "Balances", "Card requests", "Operator profile"],
    "zh-CN": ["资费", "发票", "报表", "余额", "卡申请", "运营商资料"],
}
HEADINGS = {"en": "Tariffs", "zh-CN": "资费"}
QUESTIONS = {"en": "Stop this charging session?", "zh-CN": "停止此次充电？"}


def assert_fits(page, width: int = PHONE["width"]) -> None:
    """Nothing wider than the phone: tables and the menu scroll inside their boxes."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def wait_live(page) -> None:
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_menu_reaches_every_billing_page(browser, server, locale, phone):
    size = PHONE if phone else {}
    page = new_page(browser, server, locale=locale, **size)
    log_in(page)
    nav = page.locator("nav.mainnav")
    for word in MENUS[locale]:
        expect(nav.get_by_role("link", name=word, exact=True)).to_have_count(1)

    nav.get_by_role("link", name=MENUS[locale][0], exact=True).click()
    expect(page.locator("h1")).to_have_text(HEADINGS[locale])
    for word in MENUS[locale][1:]:
        page.locator("nav.mainnav").get_by_role("link", name=word, exact=True).click()
        expect(page.locator("h1").first).to_be_visible()
        assert page.locator("h1").first.inner_text().strip()
        if phone:
            assert_fits(page)
    screenshot(page, f"billing-menu-{locale}-{'phone' if phone else 'desktop'}")
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_tariff_is_made_and_its_price_previewed_at_phone_width(browser, server, locale):
    page = new_page(browser, server, locale=locale, **PHONE)
    log_in(page)
    page.goto("/billing/tariffs/new/")
    page.fill("[name=name]", f"Harbour {locale}")
    page.fill("[name=currency]", "EUR")
    page.fill("[name=tax_rate_percent]", "21")
    page.fill("[name=energy_price_per_kwh]", "0.35")
    page.click("#tariff-form button[type=submit]")
    expect(page.locator("#preview")).to_be_visible()

    page.fill("[name=start]", "2025-03-08T18:00")
    page.fill("[name=minutes]", "45")
    page.fill("[name=kwh]", "12")
    page.click("#preview button[type=submit]")

    # 12 kWh × 0.35 = 4.20, 21 % tax 0.88: 5.08.
    expect(page.locator("[data-preview-total]")).to_have_text("5.08")
    expect(page.locator(".preview-sentence")).to_contain_text("5.08 EUR")
    assert_fits(page)
    screenshot(page, f"billing-preview-{locale}-phone")
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_sessions_page_updates_live(browser, server, live_station, locale):
    page = new_page(browser, server, locale=locale, **PHONE)
    log_in(page)
    page.goto("/sessions/")
    wait_live(page)
    page.evaluate("window.__noReload = true")
    expect(page.locator("[data-session-row]")).to_have_count(0)

    live_station.start_charging(1, TAG, interval=0.4)

    row = page.locator("[data-session-row]").first
    expect(row).to_contain_text(STATION_ID)
    expect(row.locator("[data-cell=energy]")).not_to_have_text(re.compile(r"^0\.00 kWh$"))
    assert page.evaluate("window.__noReload === true")
    assert_fits(page)
    screenshot(page, f"sessions-live-{locale}-phone")
    row.locator("a").first.click()
    expect(page.locator("[data-session-chart]")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_stop_asks_first_and_sends_only_when_confirmed(
    browser, server, live_station, locale, phone
):
    page = new_page(browser, server, locale=locale, **(PHONE if phone else {}))
    log_in(page)
    live_station.start_charging(1, TAG, interval=0.5)
    page.goto(STATION_URL)
    stop = page.locator("form[data-confirm] button:not([disabled])").first
    expect(stop).to_be_visible()
    # The chart, drawn once its script has loaded, pushes the button down by its legend:
    # a click during that shift lands on the chart.
    expect(page.locator("[data-session-chart] .uplot")).to_be_visible()
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    stop.click()
    for _ in range(50):  # the dialog reaches us with Playwright's next call
        if questions:
            break
        page.wait_for_timeout(100)
    assert questions and questions[0].startswith(QUESTIONS[locale])
    expect(page.locator("#command-result")).to_be_hidden()  # nothing was sent

    page.once("dialog", lambda dialog: answer(dialog, True))
    stop.click()
    # Sent: the station answered (this test station does not implement remote stops).
    expect(page.locator("#command-result")).to_have_class(
        re.compile("outcome-(accepted|rejected|failed)")
    )
    assert len(questions) == 2
    if phone:
        assert_fits(page)
    screenshot(page, f"stop-confirmed-{locale}-{'phone' if phone else 'desktop'}")
    page.context.close()


def test_without_scripts_unlock_asks_on_a_page_first(browser, server, live_station):
    context = browser.new_context(
        base_url=f"http://{server}", java_script_enabled=False, viewport=PHONE
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", OPERATOR_PASSWORD)
    # Without scripts the language menu shows its own submit button: press the login's.
    page.click("form.stack button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(STATION_URL)
    page.locator('form[data-confirm] button:has-text("Unlock")').first.click()

    expect(page.locator("#confirm-command")).to_contain_text("Unlock this connector?")
    assert_fits(page)
    page.locator("#confirm-command button[type=submit]").click()

    expect(page).to_have_url(re.compile(re.escape(STATION_URL) + "$"))
    expect(page.locator(".flash")).to_be_visible()
    context.close()
