"""The device model and display messages of a 2.0.1 station in headless Chromium.

A 2.0.1 station on its own thread reports its device model when the page asks
(Get base report); the page browses it by component and composes a display message
in two languages; the same pages at phone width.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import log_in, new_page, screenshot
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.station_thread201 import StationThread201

pytestmark = [pytest.mark.live, pytest.mark.browser]

CAR = "CAR-201"
PHONE = 390


@pytest.fixture
def car(server):
    """A 2.0.1 car charger, connected and booted (created before the browser starts)."""
    make_station(CAR, connectors=1)
    with StationThread201(server, CAR, STATION_PASSWORD) as station:
        yield station


def open_form(page, action: str) -> None:
    details = page.locator(f"details.command:has(button[data-action={action}])")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def send(page, action: str) -> None:
    page.click(f"button[data-action={action}]")
    expect(page.locator("#command-result")).to_have_class(re.compile("outcome-accepted"))


def assert_fits(page) -> None:
    """Nothing wider than the phone: tables scroll inside their cards."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_the_device_model_is_browsed_and_a_message_composed(car, browser, server):
    page = new_page(browser, server)
    log_in(page)
    page.goto(f"/stations/{CAR}/device-model/")
    expect(page.locator("#device-model .empty")).to_be_visible()
    open_form(page, "get_base_report")
    page.select_option("[name=get_base_report-report_base]", "full_inventory")
    send(page, "get_base_report")
    rows = page.locator("#device-model tbody tr")
    for _ in range(40):  # the station's NotifyReport follows its answer
        page.reload()
        if rows.count() == 5:
            break
        page.wait_for_timeout(250)
    expect(rows).to_have_count(5)
    expect(page.locator("#device-model tr", has_text="HeartbeatInterval")).to_contain_text("300 s")
    screenshot(page, "device-model-01-all")

    page.select_option("#device-model-filter select[name=component]", "EVSE")
    page.click("#device-model-filter button[type=submit]")
    expect(rows).to_have_count(2)
    expect(page.locator("#device-model")).not_to_contain_text("HeartbeatInterval")
    power = page.locator("#device-model tr", has_text="Power")
    power.locator("[data-fill-command=set_variable_monitoring]").click()
    expect(page.locator("[name=set_variable_monitoring-key]")).to_have_value("EVSE.Power@1")
    page.fill("[name=set_variable_monitoring-value]", "20000")
    send(page, "set_variable_monitoring")
    page.reload()
    expect(page.locator("#device-model tr", has_text="Power")).to_contain_text("#50 UpperThreshold")
    screenshot(page, "device-model-02-evse-monitored")

    page.goto(f"/stations/{CAR}/")
    open_form(page, "set_display_message")
    page.select_option("[name=set_display_message-priority]", "in_front")
    page.fill("[name=set_display_message-content_1]", "Welcome, charge well")
    page.fill("[name=set_display_message-content_2]", "欢迎，充电愉快")
    send(page, "set_display_message")
    held = page.locator("#display-messages")
    # No reload: the page re-reads what the station holds once it answered.
    expect(held.locator("tbody tr")).to_have_count(2)
    expect(held).to_contain_text("欢迎，充电愉快")
    expect(held).to_contain_text("InFront")
    screenshot(page, "device-model-03-display-messages")
    page.context.close()


def test_the_pages_fit_a_phone(car, browser, server):
    page = new_page(browser, server, width=PHONE, height=800, locale="zh-hans")
    log_in(page)
    page.goto(f"/stations/{CAR}/")
    expect(page.locator("#held")).to_be_visible()
    open_form(page, "set_display_message")
    page.fill("[name=set_display_message-content_1]", "Hello")
    send(page, "set_display_message")
    expect(page.locator("#display-messages tbody tr")).to_have_count(1)
    assert_fits(page)
    screenshot(page, "device-model-04-phone-station")
    page.goto(f"/stations/{CAR}/device-model/")
    expect(page.locator("h1")).to_have_text("设备模型")
    send(page, "get_base_report")  # its form is the first, open
    rows = page.locator("#device-model tbody tr")
    for _ in range(40):
        page.reload()
        if rows.count() == 5:
            break
        page.wait_for_timeout(250)
    expect(rows).to_have_count(5)
    assert_fits(page)
    screenshot(page, "device-model-05-phone-device-model")
    page.context.close()
