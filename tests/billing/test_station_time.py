"""Idle fees from the station's own clock, over OCPP.

A station loses its connection while charging and sends what it queued when it comes
back: a 1.6 `SuspendedEV` StatusNotification stamped T+20 min and the StopTransaction
stamped T+45 min, or 2.0.1 TransactionEvents with `offline: true`. The idle fee (0.10 per
minute after 10 minutes' grace) counts from the station's times, not from when the
frames arrived: 3 kWh x 0.25 = 0.75 energy + (25 - 10) min x 0.10 = 1.50 idle = 2.25.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from ocpp.v16 import call
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from billing.models import ConnectorStatusPeriod
from billing.services import session_price
from stations.models import ChargingSession, IdToken
from tests.support.billing import assign, charge_of, driver, network
from tests.support.factories import STATION_PASSWORD, TariffFactory
from tests.support.ocpp_client import connected_station

pytestmark = pytest.mark.django_db(transaction=True)
ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
def idle_tariff(transactional_db, eager_tasks):
    """The car charger with 0.25/kWh and an idle fee of 0.10/min after 10 min, no tax."""
    _, car, _ = network()
    assign(
        TariffFactory(
            name="Idle",
            currency="EUR",
            energy_price_per_kwh=D("0.25"),
            idle_price_per_minute=D("0.10"),
            idle_grace_minutes=10,
        ),
        station=car,
    )
    IdToken.objects.create(value="DORA", owner=driver())
    return car


def start_time():
    """T: well before now, so every frame about it arrives late."""
    return timezone.now().replace(microsecond=0) - timedelta(hours=2)


def stamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@sync_to_async
def priced():
    session = ChargingSession.objects.get()
    return session, charge_of(session)


async def status16(cp, state: str, when=None) -> None:
    extra = {"timestamp": stamp(when)} if when else {}
    await cp.call(
        call.StatusNotification(connector_id=1, error_code="NoError", status=state, **extra)
    )


async def boot16(cp) -> None:
    await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))


@pytest.mark.parametrize("stamped_before", [True, False], ids=["stamped", "arrival-timed"])
async def test_1_6_idle_fee_counts_from_late_delivered_station_timestamps(
    idle_tariff, stamped_before
):
    """The statuses before the loss carry the station's time or none (arrival time):
    either way the late SuspendedEV keeps its own time T+20 and idle ends at the stop."""
    t = start_time()
    minute = timedelta(minutes=1)
    async with connected_station("CN-CAR-1", STATION_PASSWORD) as (cp, _):
        await boot16(cp)
        await status16(cp, "Preparing", t if stamped_before else None)
        answer = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag="DORA", meter_start=1_000, timestamp=stamp(t)
            )
        )
        await status16(cp, "Charging", t if stamped_before else None)
    # The connection is lost; what the station queued arrives when it is back.
    async with connected_station("CN-CAR-1", STATION_PASSWORD) as (cp, _):
        await boot16(cp)
        await status16(cp, "SuspendedEV", t + 20 * minute)
        await cp.call(
            call.StopTransaction(
                meter_stop=4_000,
                timestamp=stamp(t + 45 * minute),
                transaction_id=answer.transaction_id,
            )
        )
        await status16(cp, "Available")  # no timestamp: the arrival time, long after

    session, charge = await priced()
    assert (session.started_at, session.ended_at) == (t, t + 45 * minute)
    assert charge.gross == D("2.25")
    lines = {line["kind"]: (line["quantity"], line["amount"]) for line in charge.lines}
    assert lines == {"energy": ("3.000", "0.75"), "idle": ("15", "1.50")}
    suspended = await ConnectorStatusPeriod.objects.aget(status="SuspendedEV")
    assert suspended.started_at == t + 20 * minute and suspended.station_clock
    assert suspended.received_at > t + 60 * minute  # the arrival time is kept beside it


async def test_1_6_meter_values_idle_uses_the_readings_own_timestamps(idle_tariff):
    """No status history at all: idle comes from the power readings, at their times."""
    t = start_time()
    minute = timedelta(minutes=1)
    async with connected_station("CN-CAR-1", STATION_PASSWORD) as (cp, _):
        await boot16(cp)
        tx = (
            await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="DORA", meter_start=1_000, timestamp=stamp(t)
                )
            )
        ).transaction_id
        for at_minute, watts, wh in ((1, 7_000, 1_100), (20, 0, 4_000), (44, 0, 4_000)):
            values = [
                {"value": str(watts), "measurand": "Power.Active.Import", "unit": "W"},
                {"value": str(wh), "measurand": ENERGY, "unit": "Wh"},
            ]
            await cp.call(
                call.MeterValues(
                    connector_id=1,
                    transaction_id=tx,
                    meter_value=[
                        {"timestamp": stamp(t + at_minute * minute), "sampled_value": values}
                    ],
                )
            )
        await cp.call(
            call.StopTransaction(
                meter_stop=4_000, timestamp=stamp(t + 45 * minute), transaction_id=tx
            )
        )
    await ConnectorStatusPeriod.objects.all().adelete()
    session, _ = await priced()
    price = await sync_to_async(session_price)(session)
    assert price.gross == D("2.25")  # idle from the reading at T+20 to the stop at T+45


# --- 2.0.1 ----------------------------------------------------------------------------


def event201(kind, seq_no, when, *, state=None, wh=None, offline=None, reason=None, tag=None):
    info = {"transaction_id": "TX-1"}
    if state:
        info["charging_state"] = state
    if reason:
        info["stopped_reason"] = reason
    context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(kind)
    values = None
    if wh is not None:
        sampled = {"value": wh, "measurand": ENERGY, "context": context or "Sample.Periodic"}
        values = [{"timestamp": stamp(when), "sampled_value": [sampled]}]
    trigger = {"Started": "Authorized", "Ended": "EVCommunicationLost"}.get(
        kind, "ChargingStateChanged"
    )
    return call201.TransactionEvent(
        event_type=kind,
        timestamp=stamp(when),
        trigger_reason=trigger,
        seq_no=seq_no,
        transaction_info=info,
        meter_value=values,
        evse={"id": 1, "connector_id": 1},
        id_token={"id_token": tag, "type": "ISO14443"} if tag else None,
        offline=offline,
    )


def connected201():
    return connected_station(
        "CN-CAR-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=ChargePoint201
    )


async def boot201(cp) -> None:
    await cp.call(
        call201.BootNotification(
            charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
        )
    )


@pytest.mark.parametrize("order", ["in order", "newest first"])
async def test_2_0_1_offline_replay_bills_idle_from_the_events_timestamps(idle_tariff, order):
    t = start_time()
    minute = timedelta(minutes=1)
    async with connected201() as (cp, _):
        await boot201(cp)
        await cp.call(event201("Started", 0, t, state="Charging", wh=1_000, tag="DORA"))
    suspended = event201("Updated", 1, t + 20 * minute, state="SuspendedEV", offline=True)
    ended = event201("Ended", 2, t + 45 * minute, wh=4_000, offline=True, reason="EVDisconnected")
    async with connected201() as (cp, _):
        await boot201(cp)
        replay = [suspended, ended] if order == "in order" else [ended, suspended]
        answers = [await cp.call(event) for event in replay]

    session, charge = await priced()
    assert session.ended_at == t + 45 * minute
    assert charge.gross == D("2.25")
    if order == "in order":  # what the station shows its driver agrees with the invoice
        assert answers[-1].total_cost == 2.25
    suspended_period = await ConnectorStatusPeriod.objects.aget(status="SuspendedEV")
    assert suspended_period.started_at == t + 20 * minute


async def test_2_0_1_idle_after_the_end_lasts_until_the_stations_available(idle_tariff):
    """Stopped locally with the car plugged in: idle goes on after the end until the
    station's StatusNotification says Available, at the time it stamped (T+50)."""
    t = start_time()
    minute = timedelta(minutes=1)
    async with connected201() as (cp, _):
        await boot201(cp)
        await cp.call(event201("Started", 0, t, state="Charging", wh=1_000, tag="DORA"))
        await cp.call(event201("Updated", 1, t + 20 * minute, state="SuspendedEV", offline=True))
        await cp.call(
            event201("Ended", 2, t + 45 * minute, wh=4_000, state="EVConnected", reason="Local")
        )
        await cp.call(
            call201.StatusNotification(
                timestamp=stamp(t + 50 * minute),
                connector_status="Available",
                evse_id=1,
                connector_id=1,
            )
        )
    _, charge = await priced()
    assert charge.gross == D("2.75")  # 0.75 + (30 - 10) min x 0.10
