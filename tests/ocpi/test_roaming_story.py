"""The whole roaming story over OCPP 1.6 and 2.0.1: the eMSP's driver is authorised at
a station by its token, charges, and the eMSP receives the status pushes, the session
while charging and the CDR, whose total is the session's stored price."""

import pytest
from asgiref.sync import sync_to_async
from ocpp.v201 import ChargePoint as ChargePoint201

from billing.models import SessionCharge, TariffAssignment
from stations.models import ChargingSession
from tests.support.billing import car_tariff, ebike_tariff
from tests.support.emsp import token
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpi_schemas import validate
from tests.support.ocpp_client import Station16, connected_station
from tests.support.stories import Story16, Story201
from tests.support.waiting import await_condition

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = {"ocpp1.6": Station16, "ocpp2.0.1": ChargePoint201}


@pytest.fixture
def priced_site(published_site):
    tariff = car_tariff()
    TariffAssignment.objects.create(tariff=tariff, site=published_site)
    return published_site


def test_the_emsp_pulls_tariffs(registered, ocpi_url, priced_site):
    ebike_tariff()
    reply = registered.get(f"{ocpi_url}/2.2.1/tariffs")
    assert reply.body["status_code"] == 1000 and len(reply.data) == 2
    for tariff in reply.data:
        validate("Tariff", tariff)
    car = next(t for t in reply.data if t["elements"][-1]["price_components"][0]["price"] == 0.35)
    peak, base = car["elements"]
    assert peak["restrictions"]["start_time"] == "17:00"
    assert peak["restrictions"]["day_of_week"][0] == "MONDAY"
    assert {c["type"] for c in base["price_components"]} == {"ENERGY", "PARKING_TIME"}
    ebike = next(t for t in reply.data if t is not car)
    assert any("max_power" in e.get("restrictions", {}) for e in ebike["elements"])
    location = registered.get(f"{ocpi_url}/2.2.1/locations/LOC-1").data
    assert location["evses"][0]["connectors"][0]["tariff_ids"] == [car["id"]]


@pytest.mark.parametrize("story", [Story16, Story201], ids=lambda s: s.subprotocol)
async def test_a_roaming_driver_charges(registered, ocpi_url, priced_site, story):
    put = await sync_to_async(registered.call)(
        "PUT", f"{ocpi_url}/2.2.1/tokens/DE/EMS/OK-ROAM-1?type=RFID", token("OK-ROAM-1", "NEVER")
    )
    assert put.body["status_code"] == 1000
    async with connected_station(
        "CP-1",
        STATION_PASSWORD,
        version=story.subprotocol,
        station_class=CLIENTS[story.subprotocol],
    ) as (cp, _):
        tale = story(cp)
        assert await tale.boot() == "Accepted"
        await tale.status(1, "Available")
        assert await tale.authorize("OK-ROAM-1") == "Accepted"
        assert await tale.authorize("NO-ROAM-2") != "Accepted"
        assert await tale.start(1, "OK-ROAM-1", 1000, 0) == "Accepted"
        await tale.status(1, "Charging")
        await tale.meter(1, 5000, 7200, 20)
        await tale.stop(1, 9000, 40)
        await tale.status(1, "Available")

    cdrs = await await_condition(
        lambda: registered.of("/ocpi/emsp/2.2.1/cdrs", "POST"), 20, "the CDR"
    )
    session = await ChargingSession.objects.aget()
    charge = await SessionCharge.objects.aget(session=session)
    [cdr] = [r.body for r in cdrs]
    validate("CDR", cdr)
    assert cdr["total_cost"] == {"excl_vat": float(charge.net), "incl_vat": float(charge.gross)}
    assert cdr["total_energy"] == 8.0
    assert cdr["cdr_token"]["uid"] == "OK-ROAM-1"
    assert cdr["cdr_location"]["evse_uid"] == "CP-1-1"
    assert cdr["tariffs"][0]["id"] == cdr["charging_periods"][0]["tariff_id"]

    sessions = [r.body for r in registered.of(f"/ocpi/emsp/2.2.1/sessions/NL/CNT/{session.pk}")]
    for body in sessions:
        validate("Session", body)
    assert sessions[0]["status"] == "ACTIVE"
    assert sessions[-1]["status"] == "COMPLETED" and sessions[-1]["kwh"] == 8.0
    statuses = [
        r.body["status"]
        for r in registered.of("/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1/CP-1-1", "PATCH")
    ]
    charging = statuses.index("CHARGING")
    assert "AVAILABLE" in statuses[charging:]
    assert statuses[-1] == "UNKNOWN"  # the station went offline at the end
    # The eMSP can pull the same session and CDR.
    pulled = await sync_to_async(registered.get)(f"{ocpi_url}/2.2.1/cdrs")
    assert pulled.data == [cdr]
