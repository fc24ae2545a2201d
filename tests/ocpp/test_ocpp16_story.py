"""A 1.6 station boots, authorizes, charges and stops; every step is in the database."""

import pytest
from ocpp.v16 import call

from stations.models import ChargingSession, ChargingStation, MeterSample, OcppMessage
from stations.writers.message_log import message_log
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]


async def test_station_boots_charges_and_stops(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        boot = await cp.call(
            call.BootNotification(charge_point_model="M1", charge_point_vendor="V")
        )
        assert boot.status == "Accepted"
        auth = await cp.call(call.Authorize(id_tag="TAG-0001"))
        assert auth.id_tag_info["status"] == "Accepted"
        start = await cp.call(
            call.StartTransaction(
                connector_id=1,
                id_tag="TAG-0001",
                meter_start=1000,
                timestamp="2026-11-20T10:00:00Z",
            )
        )
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=start.transaction_id,
                meter_value=[
                    {
                        "timestamp": "2026-11-20T10:01:00Z",
                        "sampled_value": [
                            {
                                "value": "1.5",
                                "unit": "kWh",
                                "measurand": "Energy.Active.Import.Register",
                            },
                            {"value": "7000", "measurand": "Power.Active.Import", "unit": "W"},
                        ],
                    }
                ],
            )
        )
        stop = await cp.call(
            call.StopTransaction(
                meter_stop=2500,
                timestamp="2026-11-20T10:30:00Z",
                transaction_id=start.transaction_id,
                reason="EVDisconnected",
                id_tag="TAG-0001",
            )
        )
        assert stop.id_tag_info["status"] == "Accepted"
    await message_log.flush()
    session = await ChargingSession.objects.aget(transaction_id=str(start.transaction_id))
    assert session.state == "ended"
    assert session.energy_wh == 1500
    assert session.stop_reason == "EVDisconnected"
    assert await MeterSample.objects.filter(session=session).acount() == 2
    sample = await MeterSample.objects.aget(
        session=session, measurand="Energy.Active.Import.Register"
    )
    assert sample.value == 1500 and sample.unit == "Wh"
    station = await ChargingStation.objects.aget(station_id="CP-1")
    assert station.vendor == "V" and not station.connected and station.ocpp_version == "1.6"
    assert await OcppMessage.objects.filter(station=station).acount() == 10
