"""The cost 2.x stations show drivers (OCTT block I, I01/I02): the final `totalCost` in
the answer to TransactionEvent Ended, and CostUpdated with the running total while
charging, both from the pricing the invoice uses. 1.6 has neither.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call as call21
from ocpp.v21 import call_result as result21
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from billing import services, tasks
from billing.services import sessions as billing_sessions
from chargenet.celery import app
from stations.commands.service import CommandError, command_send
from stations.models import ChargingSession, Command
from stations.services import costs
from tests.support.billing import assign, charge_of
from tests.support.charge_points import Recording, Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD, TariffFactory, make_station
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

ENERGY = "Energy.Active.Import.Register"
FRIDAY = datetime(2025, 11, 21, 10, 0, tzinfo=UTC)  # 11:00 in Amsterdam: off-peak


class CostStation201(Station201):
    """A 2.0.1 station that shows the running cost it is sent."""

    @on("CostUpdated")
    def cost_updated(self, **kw):
        self.got("CostUpdated", kw)
        return result201.CostUpdated()


class CostStation21(Recording, ChargePoint21):
    @on("CostUpdated")
    def cost_updated(self, **kw):
        self.got("CostUpdated", kw)
        return result21.CostUpdated()


CLIENTS = {"ocpp2.0.1": (CostStation201, call201), "ocpp2.1": (CostStation21, call21)}


@pytest.fixture(params=["ocpp2.0.1", "ocpp2.1"])
def version(request):
    return request.param


def tariff(**prices):
    """Energy, charging time, a start fee and 21 % tax; whatever `prices` changes."""
    fields = {
        "currency": "EUR",
        "tax_rate_percent": D("21"),
        "energy_price_per_kwh": D("0.35"),
        "time_price_per_hour": D("1.20"),
        "session_fee": D("0.50"),
        **prices,
    }
    return TariffFactory(**fields)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event(call, event_type, seq_no, moment, wh, *, tx="TX-1", context=None, **info):
    sample = {"value": wh, "measurand": ENERGY, **({"context": context} if context else {})}
    return call.TransactionEvent(
        event_type=event_type,
        timestamp=iso(moment),
        trigger_reason={"Started": "Authorized", "Ended": "EVCommunicationLost"}.get(
            event_type, "MeterValuePeriodic"
        ),
        seq_no=seq_no,
        transaction_info={"transaction_id": tx, **info},
        meter_value=[{"timestamp": iso(moment), "sampled_value": [sample]}],
        evse={"id": 1, "connector_id": 1},
        id_token={"id_token": "TAG-0001", "type": "ISO14443"} if event_type == "Started" else None,
    )


async def charge(cp, call, start: datetime, *, end: datetime | None = None):
    """Start TX-1 at `start` with 1000 Wh, 1500 Wh five minutes later, and end it at
    `end` with 2500 Wh; returns the answer to the Ended event (None if still charging)."""
    await cp.call(
        event(
            call, "Started", 0, start, 1000, context="Transaction.Begin", charging_state="Charging"
        ),
        suppress=False,
    )
    await cp.call(
        event(call, "Updated", 1, start + timedelta(minutes=5), 1500, charging_state="Charging"),
        suppress=False,
    )
    if end is None:
        return None
    ended = event(
        call,
        "Ended",
        2,
        end,
        2500,
        context="Transaction.End",
        charging_state="EVConnected",
        stopped_reason="EVDisconnected",
    )
    return await cp.call(ended, suppress=False)


def cost(answer) -> D | None:
    return None if answer.total_cost is None else D(str(answer.total_cost))


# --- totalCost in the answer to Ended ---------------------------------------------------


@pytest.mark.parametrize("priced_at_once", [False, True], ids=["priced later", "priced at once"])
async def test_the_ended_answer_has_the_total_cost_the_invoice_shows(
    station, token, version, priced_at_once, monkeypatch
):
    """Priced at once (the embedded default, where the queued task runs on commit) or
    by a worker later, the answer's totalCost is what the session's price and invoice say."""
    if priced_at_once:  # the embedded default, whatever the phase's broker
        monkeypatch.setitem(app.conf, "task_always_eager", True)
    else:  # a Celery worker prices it after the answer went out
        monkeypatch.setattr(billing_sessions, "session_price_later", lambda **kw: None)
    await sync_to_async(assign)(await sync_to_async(tariff)(), station=station)
    client, call = CLIENTS[version]
    async with connected_station("CP-1", STATION_PASSWORD, version, client) as (cp, _):
        ended = await charge(cp, call, FRIDAY, end=FRIDAY + timedelta(minutes=15))
        replayed = await cp.call(
            event(call, "Ended", 2, FRIDAY + timedelta(minutes=15), 2500), suppress=False
        )
    session = await ChargingSession.objects.aget(transaction_id="TX-1")
    assert session.state == "ended" and session.energy_wh == 1500
    if not priced_at_once:
        assert await sync_to_async(charge_of)(session) is None
        await sync_to_async(tasks.price_session)(session.pk)
    stored = await sync_to_async(charge_of)(session)
    invoice = await sync_to_async(services.invoice_issue_for_session)(session=session)
    # 1.5 kWh x 0.35 = 0.53, 15 min x 1.20/h = 0.30, start 0.50: 1.33 + 21 % tax 0.28
    assert cost(ended) == D("1.61")
    assert cost(ended) == stored.gross == stored.total == invoice.gross
    assert cost(replayed) == D("1.61")  # a replayed Ended is answered the same


async def test_no_tariff_no_total_cost(station, token, version):
    client, call = CLIENTS[version]
    async with connected_station("CP-1", STATION_PASSWORD, version, client) as (cp, _):
        started = await cp.call(
            event(call, "Started", 0, FRIDAY, 1000, context="Transaction.Begin"), suppress=False
        )
        ended = await cp.call(
            event(call, "Ended", 1, FRIDAY + timedelta(minutes=5), 1200, stopped_reason="Local"),
            suppress=False,
        )
    assert started.total_cost is None and ended.total_cost is None
    assert started.id_token_info == {"status": "Accepted"}


async def test_only_the_ended_answer_has_a_cost(station, token):
    await sync_to_async(assign)(await sync_to_async(tariff)(), station=station)
    async with connected_station("CP-1", STATION_PASSWORD, "ocpp2.0.1", CostStation201) as (
        cp,
        _,
    ):
        started = await cp.call(
            event(call201, "Started", 0, FRIDAY, 1000, context="Transaction.Begin"),
            suppress=False,
        )
        updated = await cp.call(
            event(call201, "Updated", 1, FRIDAY + timedelta(minutes=5), 1500), suppress=False
        )
    assert started.total_cost is None and updated.total_cost is None


async def test_a_failing_cost_provider_never_fails_the_ended_event(station, token, monkeypatch):
    def broken(session):
        raise RuntimeError("pricing is down")

    monkeypatch.setattr(costs, "_providers", [broken])
    async with connected_station("CP-1", STATION_PASSWORD, "ocpp2.0.1", CostStation201) as (
        cp,
        _,
    ):
        ended = await charge(cp, call201, FRIDAY, end=FRIDAY + timedelta(minutes=15))
    assert ended.total_cost is None
    assert (await ChargingSession.objects.aget(transaction_id="TX-1")).state == "ended"


# --- CostUpdated while charging -----------------------------------------------------------


async def test_cost_updates_reach_charging_2x_stations_only(station, token, version):
    await sync_to_async(tariff)(is_default=True, time_price_per_hour=D("0"))
    car16 = await sync_to_async(make_station)("CP-16", connectors=1)
    client, call = CLIENTS[version]
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
    async with (
        connected_station("CP-1", STATION_PASSWORD, version, client) as (cp, _),
        connected_station("CP-16", STATION_PASSWORD, "ocpp1.6", Station16) as (cp16, _),
    ):
        await booted(cp16, "1.6")
        started16 = await cp16.call(
            call16.StartTransaction(
                connector_id=1, id_tag="TAG-0001", meter_start=0, timestamp=iso(start)
            )
        )
        await charge(cp, call, start)
        accepted = await sync_to_async(tasks.send_cost_updates, thread_sensitive=False)()
    # 0.5 kWh x 0.35 = 0.18, start 0.50: 0.68 + 21 % tax 0.14
    assert accepted == 1
    assert cp.received == [("CostUpdated", {"total_cost": 0.82, "transaction_id": "TX-1"})]
    assert cp16.received == []
    assert started16.transaction_id  # the 1.6 session is charging, under the tariff too
    command = await Command.objects.aget()
    assert (command.action, command.status, command.ocpp_action) == (
        "cost_updated",
        "accepted",
        "CostUpdated",
    )
    assert command.params == {"transaction_id": "TX-1", "total_cost": "0.82"}
    with pytest.raises(CommandError, match="1.6"):
        await command_send(car16, "cost_updated", {"transaction_id": "1", "total_cost": "1"})


async def test_no_cost_updates_without_a_tariff_or_when_switched_off(station, token, settings):
    async with connected_station("CP-1", STATION_PASSWORD, "ocpp2.0.1", CostStation201) as (
        cp,
        _,
    ):
        await charge(cp, call201, timezone.now().replace(microsecond=0) - timedelta(minutes=10))
        without_tariff = await sync_to_async(tasks.send_cost_updates, thread_sensitive=False)()
        await sync_to_async(tariff)(is_default=True)
        settings.OCPP_COST_UPDATE_INTERVAL = 0
        switched_off = await sync_to_async(tasks.send_cost_updates, thread_sensitive=False)()
    assert (without_tariff, switched_off) == (0, 0)
    assert cp.received == [] and not await Command.objects.aexists()


def test_cost_updates_are_on_the_beat_schedule():
    entry = app.conf.beat_schedule["billing-send-cost-updates"]
    assert entry == {"task": tasks.send_cost_updates.name, "schedule": 60.0}


@pytest.mark.station("CP-1", ocpp_version="2.0.1")
@pytest.mark.parametrize("total", ["", "abc", "NaN"])
async def test_a_cost_update_needs_a_number(station, total):
    with pytest.raises(CommandError) as refused:
        await command_send(station, "cost_updated", {"transaction_id": "TX-1", "total_cost": total})
    assert "total_cost" in refused.value.errors
