"""The operator dashboard in headless Chromium, against a live server and a station.

A station on its own thread speaks OCPP 1.6 to a real daphne; the browser shows it
live: no reload between what the station does and what the page shows.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import DRIVER_PASSWORD, STATION_ID, TAG, log_in, new_page, screenshot
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.station_thread import StationThread

pytestmark = [pytest.mark.live, pytest.mark.browser]

STATION_URL = "/stations/EB%201+%E4%B8%8A%E6%B5%B7/"


def mark_page(page) -> None:
    """Set a flag a reload would lose."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload === true")


def wait_live(page) -> None:
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "live")


def assert_fits(page, width: int = 390) -> None:
    """Nothing wider than the phone: tables scroll inside their cards."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def kwh(text: str) -> float:
    return float(re.search(r"[\d.]+", text.replace(",", "")).group())


def test_a_connector_turns_charging_and_energy_grows_without_reload(operator_page, live_station):
    page = operator_page
    screenshot(page, "01-overview-idle")

    page.goto("/stations/")
    wait_live(page)
    chip = page.locator(".chip").first
    expect(chip).to_have_class(re.compile(r"\bst-Available\b"))
    expect(page.locator("[data-online]").first).to_have_class(re.compile("badge-online"))
    mark_page(page)
    live_station.start_charging(1, TAG, interval=0.5)
    expect(chip).to_have_class(re.compile(r"\bst-Charging\b"))
    assert_not_reloaded(page)
    screenshot(page, "02-station-list-charging")

    page.goto(STATION_URL)
    wait_live(page)
    mark_page(page)
    energy = page.locator("[data-figure=session-energy]")
    expect(energy).to_be_visible()
    first = kwh(energy.inner_text())
    expect(energy).not_to_have_text(energy.inner_text(), timeout=10_000)
    page.wait_for_function(
        "([sel, before]) => parseFloat(document.querySelector(sel).textContent) > before",
        arg=["[data-figure=session-energy]", first],
    )
    assert_not_reloaded(page)
    expect(page.locator(".chart canvas").first).to_be_visible()
    expect(page.locator(".connector").first).to_contain_text(TAG)
    screenshot(page, "03-station-charging")

    page.goto("/")
    wait_live(page)
    mark_page(page)
    today = page.locator("[data-figure=energy-today] [data-value]")
    before = kwh(today.inner_text())
    page.wait_for_function(
        "([sel, before]) => parseFloat(document.querySelector(sel).textContent) > before",
        arg=["[data-figure=energy-today] [data-value]", before],
    )
    expect(page.locator("[data-figure=status-Charging] [data-value]")).to_have_text("1")
    assert_not_reloaded(page)
    screenshot(page, "04-overview-charging")


def test_the_message_log_shows_the_stations_frames(operator_page, live_station):
    page = operator_page
    live_station.start_charging(2, TAG, interval=0.3)
    started = page.locator("select[name=action] option[value=StartTransaction]")
    for _ in range(40):  # the station charges from its own thread: wait for the frame
        page.goto(STATION_URL + "messages/")
        if started.count():
            break
        page.wait_for_timeout(250)
    expect(page.locator(".message").first).to_be_visible()
    page.select_option("select[name=action]", "StartTransaction")
    page.click(".filters button[type=submit]")
    expect(page.locator(".message .action").first).to_have_text("StartTransaction")
    assert set(page.locator(".message .action").all_inner_texts()) == {"StartTransaction"}
    payloads = page.locator(".message pre.payload")
    expect(payloads.filter(has_text='"idTag": "TAG-0001"')).to_have_count(1)  # the CALL
    expect(payloads.filter(has_text='"transactionId"')).to_have_count(1)  # its CALLRESULT
    page.goto(STATION_URL + "messages/")
    screenshot(page, "05-message-log")


def test_reset_shows_the_stations_answer(operator_page, live_station):
    page = operator_page
    page.goto(STATION_URL)
    button = page.locator("button[data-action=reset]")
    if button.is_disabled():
        pytest.skip("stations.commands.service is not installed on this server")
    button.click()
    result = page.locator("#command-result")
    expect(result).to_have_class(re.compile("outcome-accepted"))
    expect(result).to_contain_text("Accepted")
    expect(page.locator(".outcome-badge-accepted").first).to_be_visible()
    screenshot(page, "06-reset-accepted")


def test_configuration_is_read_and_changed_in_two_clicks(operator_page, live_station):
    page = operator_page
    page.goto(STATION_URL)
    if page.locator("button[data-action=get_configuration]").is_disabled():
        pytest.skip("stations.commands.service is not installed on this server")
    page.click("details.command:has(button[data-action=get_configuration]) summary")
    page.click("button[data-action=get_configuration]")
    expect(page.locator("#command-result")).to_have_class(re.compile("outcome-accepted"))
    page.reload()
    row = page.locator("#reported tr", has_text="HeartbeatInterval")
    expect(row).to_contain_text("300")
    row.locator("[data-fill-command]").click()  # click 1: the form is filled in
    expect(page.locator("[name=set_configuration-key]")).to_have_value("HeartbeatInterval")
    page.fill("[name=set_configuration-value]", "120")
    page.click("button[data-action=set_configuration]")  # click 2: sent
    expect(page.locator("#command-result")).to_have_class(re.compile("outcome-accepted"))
    screenshot(page, "07-configuration-changed")


def test_sessions_page_and_csv_link(operator_page, live_station):
    page = operator_page
    live_station.start_charging(1, TAG, interval=0.5)
    page.goto("/sessions/")
    expect(page.locator("tbody tr").first).to_contain_text(STATION_ID)
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert download.value.suggested_filename.startswith("sessions-")
    screenshot(page, "08-sessions")


def test_phone_width_in_chinese(browser, server, live_station):
    page = new_page(browser, server, width=390, height=844, locale="zh-CN")
    log_in(page)
    expect(page.locator("h1")).to_have_text("网络概览")
    assert_fits(page)
    screenshot(page, "09-phone-overview-zh")
    live_station.start_charging(1, TAG, interval=0.5)
    page.goto(STATION_URL)
    expect(page.locator(".connector").first).to_contain_text("充电中")
    page.wait_for_timeout(1500)  # a few meter values on the chart
    assert_fits(page)
    screenshot(page, "10-phone-station-zh")
    page.goto("/stations/")
    assert_fits(page)
    screenshot(page, "11-phone-stations-zh")
    page.goto("/sessions/")
    assert_fits(page)
    screenshot(page, "12-phone-sessions-zh")
    page.context.close()


def test_a_driver_is_refused(browser, server):
    page = new_page(browser, server)
    log_in(page, "driver", DRIVER_PASSWORD)
    expect(page.locator("h1")).to_have_text("Operators only")
    page.context.close()


@pytest.fixture
def new_station(server):
    """A station registered a moment ago: no connectors reported, never connected."""
    make_station("NEW-1", connectors=0)
    return "NEW-1"


def test_a_brand_new_stations_first_connector_shows_up_charging_without_reload(
    new_station, server, operator_page
):
    page = operator_page
    page.goto("/stations/")
    wait_live(page)
    row = page.locator('tr:has(a.station-link:text-is("NEW-1"))')
    expect(row).to_contain_text("none reported")
    mark_page(page)
    with StationThread(server, new_station, STATION_PASSWORD, connectors=0) as station:
        expect(row.locator("[data-ocpp-version]")).to_have_text("1.6")
        expect(row.locator("[data-online]")).to_have_class(re.compile("badge-online"))
        station.status(1, "Charging")
        expect(row.locator(".chip")).to_have_class(re.compile(r"\bst-Charging\b"))
        expect(row).to_contain_text("Weeyu")  # what its BootNotification said
    assert_not_reloaded(page)
