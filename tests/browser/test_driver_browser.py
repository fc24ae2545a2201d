"""A driver on a phone: scan (open) a connector's link, log in, start, watch, stop, history.

The simulated e-bike pile (OCPP 1.6 on its own thread) answers the remote start by
starting a transaction with the driver's card and metering it, and the remote stop by
ending it; ChargeNet prices the session when it ends (Celery runs eagerly here).
"""

import asyncio
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from playwright.sync_api import expect

from billing.balances import balance_top_up
from billing.models import Tariff
from stations.models import IdToken
from tests.support import station_thread
from tests.support.browser import DRIVER_PASSWORD, STATION_ID, new_page, screenshot
from tests.support.factories import STATION_PASSWORD

pytestmark = [pytest.mark.live, pytest.mark.browser]

CONNECTOR_URL = "/c/EB%201+%E4%B8%8A%E6%B5%B7/1/"
CARD = "DRV-0001"
PHONE = {"width": 390, "height": 844}


class _RemotePile(station_thread._ChargePoint):
    """Starts and stops transactions when the CSMS asks, like a real pile."""

    owner: "RemotePile"

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, connector_id=None, **kw):
        return call_result.RemoteStartTransaction(status="Accepted")

    @after(Action.remote_start_transaction)
    def after_remote_start(self, id_tag, connector_id=None, **kw):
        # A task: calling the CSMS inline would block reading its answer.
        asyncio.ensure_future(self.owner._start_charging(connector_id or 1, id_tag, 0.5))

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id, **kw):
        return call_result.RemoteStopTransaction(status="Accepted")

    @after(Action.remote_stop_transaction)
    def after_remote_stop(self, transaction_id, **kw):
        asyncio.ensure_future(self.owner._stop(transaction_id))


class RemotePile(station_thread.StationThread):
    energy = 0

    async def _connect(self) -> None:
        original = station_thread._ChargePoint
        station_thread._ChargePoint = _RemotePile
        try:
            await super()._connect()
        finally:
            station_thread._ChargePoint = original
        self.charge_point.owner = self

    async def _meter(self, connector_id: int, transaction_id: int, interval: float) -> None:
        while True:
            self.energy += 150
            sampled = [
                {"value": str(self.energy), "measurand": station_thread.ENERGY, "unit": "Wh"},
                {"value": "180", "measurand": station_thread.POWER, "unit": "W"},
            ]
            await self.charge_point.call(
                call.MeterValues(
                    connector_id=connector_id,
                    transaction_id=transaction_id,
                    meter_value=[{"timestamp": station_thread._now(), "sampled_value": sampled}],
                )
            )
            await asyncio.sleep(interval)

    async def _stop(self, transaction_id: int) -> None:
        self.tasks[-1].cancel()  # the meter task of the only transaction
        await self.charge_point.call(
            call.StopTransaction(
                transaction_id=transaction_id,
                meter_stop=self.energy,
                timestamp=station_thread._now(),
                reason="Remote",
            )
        )
        await self._status(1, "Finishing")


@pytest.fixture
def driver_setup(server):
    """The driver's card, a default e-bike tariff and a topped-up balance."""
    driver = get_user_model().objects.get(username="driver")
    IdToken.objects.create(value=CARD, owner=driver)
    Tariff.objects.create(
        name="E-bike",
        currency="CNY",
        energy_price_per_kwh=Decimal("1.20"),
        session_fee=Decimal("0.50"),
        is_default=True,
    )
    balance_top_up(driver=driver, amount=Decimal("20"), currency="CNY")


@pytest.fixture
def remote_pile(server, driver_setup):
    with RemotePile(server, STATION_ID, STATION_PASSWORD) as station:
        yield station


@pytest.fixture
def phone(remote_pile, browser, server):
    page = new_page(browser, server, **PHONE)
    yield page
    page.context.close()


def assert_fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def wh(text: str) -> int:
    return int(re.search(r"\d+", text).group())


def test_a_driver_starts_watches_stops_and_finds_the_priced_session(phone):
    page = phone
    page.goto(CONNECTOR_URL)
    expect(page.locator("[data-status]")).to_have_text("Available")
    expect(page.locator(".d-tariff")).to_contain_text("1.20 CNY per kWh")
    assert_fits(page)
    screenshot(page, "driver-01-connector")

    page.click("[data-start]")
    page.wait_for_url("**/me/login/**")
    page.fill("input[name=username]", "driver")
    page.fill("input[name=password]", DRIVER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{CONNECTOR_URL}")
    expect(page.locator("[data-start]")).to_have_text("Start charging")

    page.click("[data-start]")
    page.wait_for_url("**/me/")
    energy = page.locator("[data-figure=energy]")
    expect(energy).to_be_visible(timeout=20_000)
    page.evaluate("window.__noReload = true")
    page.wait_for_function(
        "parseInt(document.querySelector('[data-figure=energy]').textContent) >= 450",
        timeout=20_000,
    )
    assert page.evaluate("window.__noReload === true"), "the figures moved without a reload"
    expect(page.locator("[data-figure=cost]")).to_contain_text("CNY")
    assert_fits(page)
    screenshot(page, "driver-02-charging")

    page.click(".d-btn-stop")
    # The stop waits for the station's answer, which can take seconds on a busy machine.
    expect(page.locator(".d-flash")).to_contain_text("The charger accepted.", timeout=30_000)
    expect(page.locator("[data-empty]")).to_be_visible(timeout=20_000)
    screenshot(page, "driver-03-stopped")

    page.goto("/me/history/")
    for _ in range(20):
        if "CNY" in page.locator(".d-history [data-price]").first.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(page.locator(".d-history [data-price]").first).to_contain_text("CNY")
    expect(page.locator("[data-month-total]").first).to_contain_text("CNY")
    assert_fits(page)
    screenshot(page, "driver-04-history")

    page.locator(".d-history a").first.click()
    expect(page.locator("tfoot [data-price]")).to_contain_text("CNY")
    screenshot(page, "driver-05-session")
