"""One story, every OCPP version: the same rows whichever version the station speaks."""

import pytest
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v201 import ChargePoint as ChargePoint201

from stations.models import ChargingSession, ChargingStation, Connector, MeterSample
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import Station16, connected_station
from tests.support.stories import STORIES

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

CLIENTS = {"ocpp1.6": Station16, "ocpp2.0.1": ChargePoint201, "ocpp2.1": ChargePoint21}


def story_connection(story):
    return connected_station(
        "CP-1",
        STATION_PASSWORD,
        version=story.subprotocol,
        station_class=CLIENTS[story.subprotocol],
    )


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_boot_authorize_charge_and_stop(station, token, story):
    async with story_connection(story) as (cp, _):
        tale = story(cp)
        assert await tale.boot() == "Accepted"
        await tale.status(1, "Available")
        assert await tale.authorize("TAG-0001") == "Accepted"
        assert await tale.authorize("NOBODY") == "Invalid"
        assert await tale.start(1, "TAG-0001", 1000, 0) == "Accepted"
        await tale.status(1, "Charging")
        await tale.meter(1, 1500, 7200, 5)
        mid = await ChargingSession.objects.aget()
        assert (mid.state, mid.energy_wh, mid.power_w) == ("active", 500, 7200)
        assert (await Connector.objects.aget(station=station, connector_id=1)).status == "Charging"
        await tale.meter(1, 2000, 7100, 10)
        await tale.stop(1, 2500, 15)
        await tale.status(1, "Available")
    await assert_same_outcome(station)


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.subprotocol)
async def test_offline_in_the_middle_then_replay_on_reconnect(station, token, story):
    async with story_connection(story) as (cp, _):
        tale = story(cp)
        await tale.boot()
        await tale.start(1, "TAG-0001", 1000, 0)
        await tale.meter(1, 1500, 7200, 5)
    # The connection drops; the station queues its messages and sends them on
    # reconnect, re-sending some it had already delivered.
    async with story_connection(story) as (cp, _):
        tale.cp = cp
        await tale.boot()
        await tale.replay_start(1, "TAG-0001", 1000, 0)
        await tale.meter(1, 2000, 7100, 10, offline=True)
        await tale.stop(1, 2500, 15, offline=True)
        await tale.status(1, "Available")
    await assert_same_outcome(station)


async def assert_same_outcome(station):
    session = await ChargingSession.objects.select_related("connector").aget()
    assert session.state == "ended"
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 2500, 1500)
    assert session.id_tag == "TAG-0001" and session.connector.connector_id == 1
    assert session.stop_reason == "EVDisconnected"
    assert session.started_at.isoformat() == "2026-11-20T10:00:00+00:00"
    assert session.ended_at.isoformat() == "2026-11-20T10:15:00+00:00"
    energy = MeterSample.objects.filter(session=session, measurand="Energy.Active.Import.Register")
    readings = [int(v) async for v in energy.values_list("value", flat=True)]
    assert {1500, 2000} <= set(readings) and len(readings) == len(set(readings))  # no duplicates
    assert (await Connector.objects.aget(station=station, connector_id=1)).status == "Available"
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert (saved.vendor, saved.model) == ("V", "M")
