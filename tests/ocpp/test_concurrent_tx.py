"""ConcurrentTx answers only a transaction's start, as both versions' status tables say.

OCPP 1.6 AuthorizationStatus: ConcurrentTx is "only relevant for a
StartTransaction.req"; 2.0.1 AuthorizationStatusEnumType: "only relevant for the
response to a transactionEventRequest(eventType=Started)". An Authorize for a token
that charges elsewhere is answered with the token's own status.
"""

import pytest
from asgiref.sync import sync_to_async
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from stations.models import ChargingSession
from tests.support.factories import STATION_PASSWORD, ChargingSessionFactory, make_station
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

T0 = "2026-11-20T10:00:00Z"
ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
def charging_elsewhere(station, token):
    """TAG-0001 charges at CP-2 (an open session there)."""
    other = make_station("CP-2", connectors=1)
    return ChargingSessionFactory(
        station=other, id_token=token, id_tag=token.value, transaction_id="900"
    )


async def flags(transaction_id: str) -> list:
    session = await ChargingSession.objects.aget(
        station__station_id="CP-1", transaction_id=transaction_id
    )
    return session.flags


# --- OCPP 1.6 ---------------------------------------------------------------------------


async def test_16_authorize_of_a_token_charging_elsewhere_is_accepted(charging_elsewhere):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        result = await cp.call(call16.Authorize(id_tag="TAG-0001"))
    assert result.id_tag_info["status"] == "Accepted"


async def test_16_start_of_a_token_charging_elsewhere_is_concurrent_tx(charging_elsewhere):
    start = call16.StartTransaction(connector_id=1, id_tag="TAG-0001", meter_start=0, timestamp=T0)
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        first = await cp.call(start)
        replay = await cp.call(start)
    assert first.id_tag_info["status"] == "ConcurrentTx"
    assert replay.transaction_id == first.transaction_id
    assert replay.id_tag_info["status"] == "ConcurrentTx"  # its own session does not count
    assert "token_concurrenttx" in await flags(str(first.transaction_id))


async def test_16_start_after_a_session_the_station_forgot_is_accepted(station, token):
    # The station lost the stop of its last session on connector 1: a new start there
    # ends it, so the token charges nowhere else.
    await sync_to_async(ChargingSessionFactory)(
        station=station, id_token=token, id_tag=token.value, transaction_id="41"
    )
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        result = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag="TAG-0001", meter_start=0, timestamp=T0)
        )
    assert result.id_tag_info["status"] == "Accepted"


async def test_16_start_of_a_free_token_is_accepted_and_stop_never_concurrent(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        started = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag="TAG-0001", meter_start=0, timestamp=T0)
        )
        # While that session is open, its token is only Accepted to an Authorize.
        authorized = await cp.call(call16.Authorize(id_tag="TAG-0001"))
        stopped = await cp.call(
            call16.StopTransaction(
                meter_stop=10,
                timestamp="2026-11-20T10:30:00Z",
                transaction_id=started.transaction_id,
                id_tag="TAG-0001",
            )
        )
    assert started.id_tag_info["status"] == "Accepted"
    assert authorized.id_tag_info["status"] == "Accepted"
    assert stopped.id_tag_info["status"] == "Accepted"


# --- OCPP 2.0.1 -------------------------------------------------------------------------


def station201():
    return connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=ChargePoint201
    )


def event(event_type: str, seq_no: int, tx="TX-1", trigger="Authorized"):
    return call201.TransactionEvent(
        event_type=event_type,
        timestamp=T0,
        trigger_reason=trigger,
        seq_no=seq_no,
        transaction_info={"transaction_id": tx, "charging_state": "Charging"},
        evse={"id": 1, "connector_id": 1},
        id_token={"id_token": "TAG-0001", "type": "ISO14443"},
        meter_value=[
            {
                "timestamp": T0,
                "sampled_value": [
                    {"value": 0, "measurand": ENERGY, "context": "Transaction.Begin"}
                ],
            }
        ],
    )


async def test_201_authorize_of_a_token_charging_elsewhere_is_accepted(charging_elsewhere):
    async with station201() as (cp, _):
        result = await cp.call(
            call201.Authorize(id_token={"id_token": "TAG-0001", "type": "ISO14443"}),
            suppress=False,
        )
    assert result.id_token_info["status"] == "Accepted"


async def test_201_started_of_a_token_charging_elsewhere_is_concurrent_tx(charging_elsewhere):
    async with station201() as (cp, _):
        started = await cp.call(event("Started", 0), suppress=False)
        replay = await cp.call(event("Started", 0), suppress=False)
        updated = await cp.call(event("Updated", 1, trigger="MeterValuePeriodic"), suppress=False)
    assert started.id_token_info["status"] == "ConcurrentTx"
    assert replay.id_token_info["status"] == "ConcurrentTx"
    # Only the answer to Started may carry it: an Updated tells the token's own status.
    assert updated.id_token_info["status"] == "Accepted"
    assert "token_concurrenttx" in await flags("TX-1")


async def test_201_started_of_a_free_token_is_accepted(station, token):
    async with station201() as (cp, _):
        started = await cp.call(event("Started", 0), suppress=False)
        replay = await cp.call(event("Started", 0), suppress=False)
    assert started.id_token_info["status"] == "Accepted"
    assert replay.id_token_info["status"] == "Accepted"  # its own session does not count
    assert "token_concurrenttx" not in await flags("TX-1")
