"""The issue's "done when", over OCPP: a car and an e-bike session priced to the cent,
invoiced as PDF and in the month's report — in process, and on real servers with a
Celery worker on Redis and PostgreSQL.

Both need billing's two hooks in billing.hooks (pricing queued when a session ends,
status history recorded on every StatusNotification); they skip until those are wired.
"""

import asyncio
import contextlib
import inspect
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from channels.db import database_sync_to_async
from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import connect

from billing import documents, hooks, services
from billing.models import Invoice, Report, Tariff
from billing.tasks import issue_monthly_invoices
from stations.models import ChargingSession, IdToken
from tests.support.billing import assign, car_tariff, charge_of, driver, ebike_tariff, network
from tests.support.factories import STATION_PASSWORD
from tests.support.live import ROOT, database_url, live_daphne
from tests.support.ocpp_client import basic_auth, connected_station

_SOURCE = inspect.getsource(hooks)
HOOKS_WIRED = "session_price_later" in _SOURCE and "status_history_record" in _SOURCE
needs_hooks = pytest.mark.skipif(
    not HOOKS_WIRED, reason="billing hooks are not yet subscribed in billing.hooks"
)
FRIDAY = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)  # 16:30 in Amsterdam; peak from 17:00


def at(start: datetime, minutes: float) -> str:
    return (start + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def status(cp, connector: int, state: str, when: str) -> None:
    await cp.call(
        call.StatusNotification(
            connector_id=connector, error_code="NoError", status=state, timestamp=when
        )
    )


async def meter(cp, tx: int, connector: int, when: str, wh: int | None, watts: int) -> None:
    values = [{"value": str(watts), "measurand": "Power.Active.Import", "unit": "W"}]
    if wh is not None:
        values.append(
            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
        )
    await cp.call(
        call.MeterValues(
            connector_id=connector,
            transaction_id=tx,
            meter_value=[{"timestamp": when, "sampled_value": values}],
        )
    )


async def car_charges(cp, start: datetime, tag: str) -> int:
    """7.4 kW for 2.5 h (18.5 kWh), SuspendedEV for 30 min, stop, Finishing for 20 min."""
    await status(cp, 1, "Preparing", at(start, 0))
    tx = (
        await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag=tag, meter_start=1_000, timestamp=at(start, 0)
            )
        )
    ).transaction_id
    await status(cp, 1, "Charging", at(start, 0))
    for i in range(1, 7):
        await meter(cp, tx, 1, at(start, 30 * i), 1_000 + 3_700 * min(i, 5), 7_400 if i < 5 else 0)
    await status(cp, 1, "SuspendedEV", at(start, 150))
    await cp.call(
        call.StopTransaction(
            meter_stop=19_500, timestamp=at(start, 180), transaction_id=tx, reason="EVDisconnected"
        )
    )
    await status(cp, 1, "Finishing", at(start, 180))
    await status(cp, 1, "Available", at(start, 200))
    return tx


# --- in process, Celery eager -------------------------------------------------------------


@pytest.fixture
def priced_network(transactional_db, media_root, eager_tasks):
    """The network with its tariffs and Dora's card; tasks run in process."""
    _, car, bike = network()
    assign(car_tariff(), station=car)
    assign(ebike_tariff(), station=bike)
    IdToken.objects.create(value="DORA", owner=driver())


@needs_hooks
@pytest.mark.django_db(transaction=True)
async def test_car_and_e_bike_are_priced_invoiced_and_reported(priced_network):
    async with connected_station("CN-CAR-1", STATION_PASSWORD) as (cp, _):
        await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        car_tx = await car_charges(cp, FRIDAY, "DORA")
    async with connected_station("CN-BIKE-1", STATION_PASSWORD) as (cp, _):
        await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        bike_tx = (
            await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="DORA", meter_start=0, timestamp=at(FRIDAY, 0)
                )
            )
        ).transaction_id
        await meter(cp, bike_tx, 1, at(FRIDAY, 1), None, 350)
        await meter(cp, bike_tx, 1, at(FRIDAY, 60), None, 340)
        # 1.00 at 0.40/h (the 200-400 W tier) buys 2 h 30 min: then ChargeNet stops it.
        expired = database_sync_to_async(services.prepaid_block_expired_sessions)
        assert await expired(now=FRIDAY + timedelta(minutes=149)) == []
        (due,) = await expired(now=FRIDAY + timedelta(minutes=150))
        assert due.transaction_id == str(bike_tx)
        await cp.call(
            call.StopTransaction(
                meter_stop=850,
                timestamp=at(
                    FRIDAY,
                    150,
                ),
                transaction_id=bike_tx,
                reason="Remote",
            )
        )

    car = await ChargingSession.objects.aget(
        transaction_id=str(car_tx), station__station_id="CN-CAR-1"
    )
    bike = await ChargingSession.objects.aget(
        transaction_id=str(bike_tx), station__station_id="CN-BIKE-1"
    )
    # Car: 3.7 kWh x 0.35 = 1.30, 14.8 kWh peak x 0.45 = 6.66, idle (30 + 20 - 15) min
    # x 0.10 = 3.50: net 11.46, tax 21 % 2.41, gross 13.87.
    car_charge, bike_charge = [
        await database_sync_to_async(charge_of)(session) for session in (car, bike)
    ]
    assert (car_charge.gross, car_charge.currency) == (D("13.87"), "EUR")
    assert (bike_charge.gross, bike_charge.currency) == (D("1.00"), "CNY")

    invoices = await database_sync_to_async(services.invoice_issue_monthly)(year=2025, month=3)
    assert sorted((i.currency, i.gross) for i in invoices) == [
        ("CNY", D("1.0000")),
        ("EUR", D("13.8700")),
    ]
    for invoice in invoices:
        pdf = await database_sync_to_async(documents.invoice_pdf)(invoice)
        assert pdf.startswith(b"%PDF-")

    report = await database_sync_to_async(_monthly_report)()
    assert report.status == Report.Status.DONE
    assert report.summary["revenue_gross"] == {"CNY": "1.00", "EUR": "13.87"}
    assert report.summary["sessions"] == 2


def _monthly_report() -> Report:
    report = Report.objects.create(
        kind=Report.Kind.MONTHLY, period_start=date(2025, 3, 1), period_end=date(2025, 3, 31)
    )
    return services.report_generate(report=report)


# --- real servers: daphne, a Celery worker, Redis, PostgreSQL -----------------------------


def _servers_skip_reason() -> str | None:
    if not os.environ.get("REDIS_URL"):
        return "needs REDIS_URL and DATABASE_URL (PostgreSQL + Redis): run `make test-servers`"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "needs DATABASE_URL on PostgreSQL: run `make test-servers`"
    return None


@contextlib.contextmanager
def celery_worker():
    """A real worker on the test database and REDIS_URL; always stopped."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    # The broker may hold other runs' tasks (a stopped cluster's, say): this worker
    # would work through all of them before ours.
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "chargenet", "purge", "-f"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "chargenet", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=environment,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.2)
    return result


@needs_hooks
@pytest.mark.server
@pytest.mark.skipif(_servers_skip_reason() is not None, reason=_servers_skip_reason() or "")
@pytest.mark.django_db(transaction=True)
def test_a_worker_prices_and_invoices_a_session_ended_over_ocpp():
    _, car, _ = network()
    tariff = Tariff.objects.create(
        name="Flat",
        currency="EUR",
        tax_rate_percent=D("21"),
        energy_price_per_kwh=D("0.30"),
        idle_price_per_minute=D("0.10"),
        idle_grace_minutes=15,
    )
    assign(tariff, station=car)
    IdToken.objects.create(value="DORA", owner=driver())
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=200)

    with celery_worker(), live_daphne() as address:
        tx = asyncio.run(_charge_over_websocket(f"ws://{address}/ocpp/", start))

        def priced():
            session = ChargingSession.objects.get(station=car, transaction_id=str(tx))
            charge = charge_of(session)
            return charge is not None and charge.gross == D("10.95") and session

        # 18.5 kWh x 0.30 = 5.55; idle (30 + 20 - 15) min x 0.10 = 3.50; + 21 % of 9.05
        session = wait_for(priced, 60, "the worker to price the session")
        ended = session.ended_at
        issue_monthly_invoices.delay(ended.year, ended.month)
        invoice = wait_for(lambda: Invoice.objects.first(), 60, "the worker to issue the invoice")

    assert invoice.customer.username == "dora" and invoice.gross == D("10.95")
    assert invoice.lines.get().session_id == session.pk
    assert documents.invoice_pdf(invoice).startswith(b"%PDF-")


async def _charge_over_websocket(url: str, start: datetime) -> int:
    headers = dict([(name.decode().title(), value.decode()) for name, value in
                    [basic_auth("CN-CAR-1", STATION_PASSWORD)]])  # fmt: skip
    async with connect(
        url + "CN-CAR-1", subprotocols=["ocpp1.6"], additional_headers=headers
    ) as ws:
        cp = ChargePoint("CN-CAR-1", ws)
        reader = asyncio.create_task(cp.start())
        try:
            await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
            return await car_charges(cp, start, "DORA")
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
