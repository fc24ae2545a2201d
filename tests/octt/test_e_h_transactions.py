"""Blocks E and H and the Authorize status table: transaction status, reservations.

E: GetTransactionStatus (use case E14; OCTT text not at hand). H: the reservation
cases the first run failed on the token's type (TC_H_01/07/08/14/17/19/20_CSMS):
ReserveNow must carry the idToken type ChargeNet holds (here Central), for a
specific EVSE, any EVSE or a connector type (use cases H01/H02). Authorize answers
follow AuthorizationStatusEnumType: ConcurrentTx only in the answer to a
TransactionEvent Started. 1.6: TC_046/048_2/049_CSMS (ReserveNow).
"""

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from ocpp.v16 import call as call16
from ocpp.v201 import call

from stations.models import ChargingSession, IdToken, Reservation
from tests.support.factories import ChargingSessionFactory, IdTokenFactory, make_station
from tests.support.octt import only, station_on

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

T0 = "2026-12-01T09:00:00Z"
CENTRAL = {"idToken": "APP-USER-7", "type": "Central"}
ENERGY = "Energy.Active.Import.Register"


def later(hours=1) -> str:
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def started(tx="TX-1", token="TAG-0001", kind="ISO14443", seq_no=0):
    return call.TransactionEvent(
        event_type="Started",
        timestamp=T0,
        trigger_reason="Authorized",
        seq_no=seq_no,
        transaction_info={"transaction_id": tx, "charging_state": "Charging"},
        evse={"id": 1, "connector_id": 1},
        id_token={"id_token": token, "type": kind},
        meter_value=[
            {
                "timestamp": T0,
                "sampled_value": [
                    {"value": 0, "measurand": ENERGY, "context": "Transaction.Begin"}
                ],
            }
        ],
    )


# --- E: GetTransactionStatus ---------------------------------------------------------


async def test_UC_E14_CSMS_transaction_status_of_an_ongoing_transaction(operator):
    """Check Transaction status - ongoing, messages in queue: the request names the
    transaction, the answer (ongoingIndicator, messagesInQueue) is stored."""
    async with station_on(operator.address) as cp:
        await cp.call(started(), suppress=False)
        session = await ChargingSession.objects.aget(transaction_id="TX-1")
        cp.replies["GetTransactionStatus"] = {"ongoing_indicator": True, "messages_in_queue": True}
        status, command = await operator.command(
            "CP-1", "get_transaction_status", session_id=session.pk
        )
    assert status == 201, command
    assert only(cp, "GetTransactionStatus") == {"transactionId": "TX-1"}
    assert command["status"] == "accepted"
    assert command["response"] == {"ongoingIndicator": True, "messagesInQueue": True}


async def test_UC_E14_CSMS_transaction_status_without_transaction(operator):
    """Without a transaction id the station tells whether any message is queued."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command("CP-1", "get_transaction_status")
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "GetTransactionStatus") == {}
    assert command["response"] == {"messagesInQueue": False}


async def test_UC_E14_CSMS_transaction_status_is_20_only(operator):
    status, body = await operator.command("CP-16", "get_transaction_status")
    assert status == 400 and "1.6" in str(body)


# --- H: reservations ---------------------------------------------------------------


@pytest.fixture
def app_user(operator):
    """A token ChargeNet holds as Central (an app user's)."""
    return IdTokenFactory(value="APP-USER-7", type="Central")


async def reserve(operator, cp_answer="Accepted", **params):
    async with station_on(operator.address) as cp:
        cp.answer["ReserveNow"] = cp_answer
        status, command = await operator.command(
            "CP-1", "reserve_now", id_token="APP-USER-7", expires_at=later(), **params
        )
        request = only(cp, "ReserveNow")
        return status, command, request, cp


async def test_TC_H_01_CSMS(operator, app_user):
    """Reserve a specific EVSE - Accepted: evseId, the stored idToken type, a new id."""
    status, command, request, _ = await reserve(operator, evse_id=1)
    assert status == 201 and command["status"] == "accepted", command
    assert request["idToken"] == CENTRAL
    assert request["evseId"] == 1
    assert "connectorType" not in request
    reservation = await Reservation.objects.aget(pk=request["id"])
    assert reservation.status == "accepted"


async def test_TC_H_07_CSMS(operator, app_user):
    """Reserve a specific EVSE - the station answers Occupied: stored as rejected."""
    status, command, request, _ = await reserve(operator, cp_answer="Occupied", evse_id=1)
    assert status == 201 and command["status"] == "rejected"
    assert request["idToken"] == CENTRAL
    assert (await Reservation.objects.aget(pk=request["id"])).status == "rejected"


async def test_TC_H_08_CSMS(operator, app_user):
    """Reserve an unspecified EVSE - Accepted: no evseId, no connectorType."""
    status, command, request, _ = await reserve(operator)
    assert status == 201 and command["status"] == "accepted"
    assert request["idToken"] == CENTRAL
    assert "evseId" not in request and "connectorType" not in request


async def test_TC_H_14_CSMS(operator, app_user):
    """Reserve a connector with a specific type - Accepted: connectorType, no evseId."""
    status, command, request, _ = await reserve(operator, connector_type="cCCS2")
    assert status == 201 and command["status"] == "accepted"
    assert request["connectorType"] == "cCCS2"
    assert request["idToken"] == CENTRAL
    assert "evseId" not in request


async def test_TC_H_17_CSMS(operator, app_user):
    """Reservation ended, not used: the station's ReservationStatusUpdate Expired is
    answered and the reservation ends as expired."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1", "reserve_now", id_token="APP-USER-7", expires_at=later(), evse_id=1
        )
        request = only(cp, "ReserveNow")
        answer = await cp.call(
            call.ReservationStatusUpdate(
                reservation_id=request["id"], reservation_update_status="Expired"
            ),
            suppress=False,
        )
    assert request["idToken"] == CENTRAL
    assert answer is not None
    assert (await Reservation.objects.aget(pk=request["id"])).status == "expired"


async def test_TC_H_19_CSMS(operator, app_user):
    """Cancel a reservation - Accepted: CancelReservation names the reservation made."""
    async with station_on(operator.address) as cp:
        _, reserved = await operator.command(
            "CP-1", "reserve_now", id_token="APP-USER-7", expires_at=later(), evse_id=1
        )
        reservation_id = only(cp, "ReserveNow")["id"]
        status, command = await operator.command(
            "CP-1", "cancel_reservation", reservation_id=reservation_id
        )
    assert only(cp, "ReserveNow")["idToken"] == CENTRAL
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "CancelReservation") == {"reservationId": reservation_id}


async def test_TC_H_20_CSMS(operator, app_user):
    """Use a reserved EVSE with the reserved token: the TransactionEvent Started naming
    the reservation is answered Accepted, and the reservation is used."""
    async with station_on(operator.address) as cp:
        await operator.command(
            "CP-1", "reserve_now", id_token="APP-USER-7", expires_at=later(), evse_id=1
        )
        reservation_id = only(cp, "ReserveNow")["id"]
        event = started(token="APP-USER-7", kind="Central")
        event.reservation_id = reservation_id
        answer = await cp.call(event, suppress=False)
    assert answer.id_token_info["status"] == "Accepted"
    assert (await Reservation.objects.aget(pk=reservation_id)).status == "used"


async def test_TC_H_connector_type_is_20_only(operator, app_user):
    """1.6 has no connector types: a typed reservation is 400 naming the version."""
    status, body = await operator.command(
        "CP-16", "reserve_now", id_token="APP-USER-7", expires_at=later(), connector_type="cType2"
    )
    assert status == 400 and "1.6" in str(body)


# --- 1.6 ReserveNow -----------------------------------------------------------------


async def test_TC_046_CSMS(operator, app_user):
    """1.6 Reservation of a Connector - Transaction: connectorId and idTag as configured."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command(
            "CP-16", "reserve_now", id_token="APP-USER-7", expires_at=later(), connector_id=1
        )
        request = only(cp, "ReserveNow")
        start = await cp.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="APP-USER-7",
                meter_start=0,
                timestamp=T0,
                reservation_id=request["reservationId"],
            )
        )
    assert status == 201 and command["status"] == "accepted"
    assert request["connectorId"] == 1 and request["idTag"] == "APP-USER-7"
    assert "expiryDate" in request
    assert start.id_tag_info["status"] == "Accepted"
    assert (await Reservation.objects.aget(pk=request["reservationId"])).status == "used"


async def test_TC_048_2_CSMS(operator, app_user):
    """1.6 Reservation of a Connector - Occupied: the refusal is stored, nothing reserved."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        cp.answer["ReserveNow"] = "Occupied"
        status, command = await operator.command(
            "CP-16", "reserve_now", id_token="APP-USER-7", expires_at=later(), connector_id=1
        )
    assert status == 201 and command["status"] == "rejected"
    assert command["response"] == {"status": "Occupied"}
    request = only(cp, "ReserveNow")
    assert (await Reservation.objects.aget(pk=request["reservationId"])).status == "rejected"


async def test_TC_049_CSMS(operator, app_user):
    """1.6 Reservation of a Charge Point: connectorId 0."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command(
            "CP-16", "reserve_now", id_token="APP-USER-7", expires_at=later()
        )
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "ReserveNow")["connectorId"] == 0


# --- the Authorize status table ------------------------------------------------------


@pytest.fixture
def charging_elsewhere(operator):
    """TAG-0001 charges at CP-2 (an open session there)."""
    other = make_station("CP-2", connectors=1)
    token = IdToken.objects.get(value="TAG-0001")
    return ChargingSessionFactory(
        station=other, id_token=token, id_tag=token.value, transaction_id="900"
    )


async def test_UC_C01_CSMS_authorize_statuses(operator, charging_elsewhere):
    """Authorize is answered with the token's own status, never ConcurrentTx; a token
    charging elsewhere is Accepted, blocked / expired / unknown ones are not."""
    await sync_to_async(IdTokenFactory)(value="BLOCKED-1", status="blocked")
    await sync_to_async(IdTokenFactory)(
        value="EXPIRED-1", expires_at=datetime.now(UTC) - timedelta(days=1)
    )
    async with station_on(operator.address) as cp:
        answers = {}
        for value in ("TAG-0001", "BLOCKED-1", "EXPIRED-1", "NOBODY-1"):
            result = await cp.call(
                call.Authorize(id_token={"id_token": value, "type": "ISO14443"}), suppress=False
            )
            answers[value] = result.id_token_info["status"]
    assert answers == {
        "TAG-0001": "Accepted",
        "BLOCKED-1": "Blocked",
        "EXPIRED-1": "Expired",
        "NOBODY-1": "Unknown",
    }


async def test_UC_E01_CSMS_started_of_a_token_charging_elsewhere_is_concurrent_tx(
    operator, charging_elsewhere
):
    """ConcurrentTx is for the answer to TransactionEvent Started only."""
    async with station_on(operator.address) as cp:
        answer = await cp.call(started(), suppress=False)
        authorized = await cp.call(
            call.Authorize(id_token={"id_token": "TAG-0001", "type": "ISO14443"}), suppress=False
        )
    assert answer.id_token_info["status"] == "ConcurrentTx"
    assert authorized.id_token_info["status"] == "Accepted"
