"""Block I, tariff and cost: the running cost while charging and the final total.

TC_I_01_CSMS / TC_I_02_CSMS (use cases I02 and I03): a session priced by a tariff gets
CostUpdated while it charges (every OCPP_COST_UPDATE_INTERVAL s; 1 s on this server,
whose scheduled tasks run as in the embedded mode) and `totalCost` in the answer to its
TransactionEvent Ended, the same amount its stored price has.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from ocpp.routing import on
from ocpp.v201 import call
from ocpp.v201 import call_result as result

from stations.models import ChargingSession, ChargingStation
from tests.support.billing import assign, charge_of
from tests.support.command_stations import AllCommands201
from tests.support.factories import TariffFactory
from tests.support.octt import station_on
from tests.support.waiting import await_condition

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

# The embedded mode's schedule runs where Celery is eager and there is no broker: this
# server keeps its channel layer and tasks in process even where the tests have Redis.
DAPHNE_ENV = {"TEST_EMBEDDED_BEAT": "1", "OCPP_COST_UPDATE_INTERVAL": "1", "REDIS_URL": ""}
ENERGY = "Energy.Active.Import.Register"


class CostStation(AllCommands201):
    """Shows the running cost it is sent."""

    @on("CostUpdated")
    def cost_updated(self, **kw):
        self.got("CostUpdated", kw)
        return result.CostUpdated()


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def event(event_type, seq_no, moment, wh, **info):
    context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(event_type)
    sample = {"value": wh, "measurand": ENERGY, **({"context": context} if context else {})}
    return call.TransactionEvent(
        event_type=event_type,
        timestamp=iso(moment),
        trigger_reason={"Started": "Authorized", "Ended": "EVCommunicationLost"}.get(
            event_type, "MeterValuePeriodic"
        ),
        seq_no=seq_no,
        transaction_info={"transaction_id": "TX-I", **info},
        meter_value=[{"timestamp": iso(moment), "sampled_value": [sample]}],
        evse={"id": 1, "connector_id": 1},
        id_token={"id_token": "TAG-0001", "type": "ISO14443"} if event_type == "Started" else None,
    )


@pytest.fixture
def priced(operator):
    """CP-1 under a tariff: 0.35/kWh, 1.20/h, 0.50 a session, 21 % tax."""
    tariff = TariffFactory(
        currency="EUR",
        tax_rate_percent=D("21"),
        energy_price_per_kwh=D("0.35"),
        time_price_per_hour=D("1.20"),
        session_fee=D("0.50"),
    )
    assign(tariff, station=ChargingStation.objects.get(station_id="CP-1"))
    return tariff


async def test_TC_I_01_CSMS(operator, priced):
    """Show EV Driver running total cost during charging: CostUpdated names the
    transaction and carries the cost so far, taxes included."""
    start = datetime.now(UTC) - timedelta(minutes=10)
    async with station_on(operator.address, station_class=CostStation) as cp:
        await cp.call(event("Started", 0, start, 1000, charging_state="Charging"), suppress=False)
        await cp.call(
            event("Updated", 1, start + timedelta(minutes=5), 1500, charging_state="Charging"),
            suppress=False,
        )
        await await_condition(
            lambda: [kw for action, kw in cp.received if action == "CostUpdated"],
            10,
            "a CostUpdated",
        )
    update = next(payload for action, payload in cp.frames if action == "CostUpdated")
    assert update["transactionId"] == "TX-I"
    # At least the start fee and the energy so far with tax: (0.50 + 0.175) x 1.21.
    assert D(str(update["totalCost"])) >= D("0.81")


async def test_TC_I_02_CSMS(operator, priced):
    """Show EV Driver Final Total Cost After Charging: totalCost in the answer to
    TransactionEvent Ended, equal to the session's stored price."""
    start = datetime.now(UTC) - timedelta(minutes=15)
    async with station_on(operator.address, station_class=CostStation) as cp:
        await cp.call(event("Started", 0, start, 1000, charging_state="Charging"), suppress=False)
        await cp.call(
            event("Updated", 1, start + timedelta(minutes=5), 1500, charging_state="Charging"),
            suppress=False,
        )
        ended = await cp.call(
            event(
                "Ended",
                2,
                start + timedelta(minutes=15),
                2500,
                charging_state="EVConnected",
                stopped_reason="EVDisconnected",
            ),
            suppress=False,
        )
    session = await ChargingSession.objects.aget(transaction_id="TX-I")
    price = await sync_to_async(charge_of)(session)
    # 1.5 kWh x 0.35 = 0.53, 15 min x 1.20/h = 0.30, start 0.50: 1.33 + 21 % tax 0.28
    assert D(str(ended.total_cost)) == D("1.61") == price.gross
