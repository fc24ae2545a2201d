"""Reservations: sent as ReserveNow, enforced on ChargeNet's side, used, cancelled, expired."""

import contextlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from chargenet.celery import app
from stations.commands.service import CommandError, command_send
from stations.models import ChargingSession, ChargingStation, Command, IdToken, Reservation
from stations.services import authorization, reservations
from stations.tasks import expire_reservations
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

VERSIONS = [("ocpp1.6", "1.6", Station16), ("ocpp2.0.1", "2.0.1", Station201)]


def in_thread(function):
    """Run sync code (which sends commands) off the event loop the station runs on."""
    return sync_to_async(function, thread_sensitive=False)


def later(minutes: int = 30):
    return timezone.now().replace(microsecond=0) + timedelta(minutes=minutes)


@contextlib.asynccontextmanager
async def connect(version: str, client):
    """A connected, booted station: the boot's answer means the socket is registered."""
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=version, station_class=client
    ) as (cp, communicator):
        await booted(cp, "1.6" if version == "ocpp1.6" else "2.0.1")
        yield cp, communicator


async def reserve(station, token, connector_id=1, **kwargs):
    return await in_thread(reservations.reservation_create)(
        station=station, id_token=token, expires_at=later(), connector_id=connector_id, **kwargs
    )


@pytest.mark.parametrize(("subprotocol", "label", "client"), VERSIONS, ids=["1.6", "2.0.1"])
async def test_reservation_is_sent_and_its_acceptance_stored(
    station, token, subprotocol, label, client
):
    async with connect(subprotocol, client) as (cp, _):
        reservation = await reserve(station, token, timeout=5)
    assert reservation.status == "accepted"
    command = await Command.objects.aget(pk=reservation.command_id)
    assert command.action == "reserve_now" and command.status == "accepted"
    (action, sent), *_ = cp.received
    assert action == "ReserveNow"
    if label == "1.6":
        assert sent["reservation_id"] == reservation.pk and sent["connector_id"] == 1
        assert sent["id_tag"] == "TAG-0001"
    else:
        assert sent["id"] == reservation.pk and sent["evse_id"] == 1
        assert sent["id_token"] == {"id_token": "TAG-0001", "type": "ISO14443"}


async def test_a_station_that_says_occupied_rejects_the_reservation(station, token):
    async with connect("ocpp1.6", Station16) as (cp, _):
        cp.answer["ReserveNow"] = "Occupied"
        reservation = await reserve(station, token, timeout=5)
    assert reservation.status == "rejected"
    command = await Command.objects.aget(pk=reservation.command_id)
    assert command.response == {"status": "Occupied"}


async def test_an_offline_station_rejects_the_reservation(station, token):
    reservation = await reserve(station, token)
    assert reservation.status == "rejected"
    assert (await Command.objects.aget(pk=reservation.command_id)).status == "offline"


async def test_whole_station_reservation_sends_connector_zero(station, token):
    async with connect("ocpp1.6", Station16) as (cp, _):
        reservation = await reserve(station, token, connector_id=None, timeout=5)
    assert reservation.connector_id is None and cp.received[0][1]["connector_id"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
        ({"connector_id": 9}, "connector_id"),
        ({"blocked": True}, "id_token"),
    ],
    ids=["past", "unknown-connector", "blocked-token"],
)
def test_bad_reservations_are_refused_before_sending(station, token, change, field):
    if change.pop("blocked", False):
        IdToken.objects.filter(pk=token.pk).update(status="blocked")
        token.refresh_from_db()
    arguments = {"station": station, "id_token": token, "expires_at": later(), "connector_id": 1}
    with pytest.raises(CommandError) as error:
        reservations.reservation_create(**{**arguments, **change})
    assert field in error.value.errors
    assert not Reservation.objects.exists() and not Command.objects.exists()


def test_a_reserved_connector_cannot_be_reserved_twice(station, token):
    Reservation.objects.create(
        station=station,
        connector=station.connectors.get(connector_id=1),
        id_tag="OTHER",
        expires_at=later(),
        status="accepted",
    )
    with pytest.raises(CommandError) as error:
        reservations.reservation_create(
            station=station, id_token=token, expires_at=later(), connector_id=1
        )
    assert "connector_id" in error.value.errors
    assert Reservation.objects.count() == 1


# --- what a 2.x ReserveNow names: the token's stored type, a connector type ----------------


async def test_201_reservation_names_the_types_chargenet_holds(station):
    group = await IdToken.objects.acreate(value="FLEET-1", type="Local")
    card = await IdToken.objects.acreate(value="APP-7", type="Central", parent=group)
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        reservation = await reserve(station, card, timeout=5)
    assert reservation.status == "accepted"
    (_, sent), *_ = cp.received
    assert sent["id_token"] == {"id_token": "APP-7", "type": "Central"}
    assert sent["group_id_token"] == {"id_token": "FLEET-1", "type": "Local"}


async def test_201_reservation_of_a_connector_type(station, token):
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        anywhere = await reserve(
            station, token, connector_id=None, connector_type="cType2", timeout=5
        )
        on_evse = await reserve(station, token, connector_id=2, connector_type="cCCS2", timeout=5)
    assert anywhere.status == on_evse.status == "accepted"
    assert anywhere.connector_id is None and anywhere.connector_type == "cType2"
    (_, first), (_, second) = cp.received
    assert first["connector_type"] == "cType2" and "evse_id" not in first
    assert second["connector_type"] == "cCCS2" and second["evse_id"] == 2
    stored = await Reservation.objects.aget(pk=anywhere.pk)
    assert stored.connector_type == "cType2"


def test_a_16_station_cannot_reserve_a_connector_type(station, token):
    ChargingStation.objects.filter(pk=station.pk).update(ocpp_version="1.6")
    with pytest.raises(CommandError) as error:
        reservations.reservation_create(
            station=station,
            id_token=token,
            expires_at=later(),
            connector_id=None,
            connector_type="cType2",
        )
    assert "1.6" in error.value.detail and "connector_type" in error.value.errors
    assert not Reservation.objects.exists() and not Command.objects.exists()


def test_a_201_station_refuses_an_unknown_connector_type_before_sending(station, token):
    ChargingStation.objects.filter(pk=station.pk).update(ocpp_version="2.0.1")
    with pytest.raises(CommandError) as error:
        reservations.reservation_create(
            station=station, id_token=token, expires_at=later(), connector_type="cWhatever"
        )
    assert "connectorType" in error.value.errors
    assert not Reservation.objects.exists() and not Command.objects.exists()


async def test_cancelling_sends_cancel_reservation(station, token):
    async with connect("ocpp1.6", Station16) as (cp, _):
        reservation = await reserve(station, token, timeout=5)
        cancelled = await in_thread(reservations.reservation_cancel)(
            reservation=reservation, timeout=5
        )
    assert cancelled.status == "cancelled"
    assert cp.received[1] == ("CancelReservation", {"reservation_id": reservation.pk})


async def test_cancelling_while_offline_keeps_the_reservation(station, token):
    reservation = await sync_to_async(Reservation.objects.create)(
        station=station, id_tag="TAG-0001", expires_at=later(), status="accepted"
    )
    result = await in_thread(reservations.reservation_cancel)(reservation=reservation)
    assert result.status == "accepted"
    assert (await Command.objects.aget(pk=result.cancel_command_id)).status == "offline"


async def test_remote_start_on_a_connector_reserved_for_another_token_is_refused(station, token):
    await sync_to_async(Reservation.objects.create)(
        station=station,
        connector=await station.connectors.aget(connector_id=1),
        id_tag="SOMEONE-ELSE",
        expires_at=later(),
        status="accepted",
    )
    await ChargingStation.objects.filter(pk=station.pk).aupdate(ocpp_version="1.6")
    with pytest.raises(CommandError) as error:
        await command_send(station, "remote_start", {"id_tag": "TAG-0001", "connector_id": 1})
    assert "connector_id" in error.value.errors
    assert not await Command.objects.aexists()
    async with connect("ocpp1.6", Station16):
        other = await command_send(
            station, "remote_start", {"id_tag": "TAG-0001", "connector_id": 2}, timeout=5
        )
        holder = await command_send(
            station, "remote_start", {"id_tag": "SOMEONE-ELSE", "connector_id": 1}, timeout=5
        )
    assert other.status == holder.status == "accepted"


async def test_a_start_naming_the_reservation_uses_it_16(station, token):
    async with connect("ocpp1.6", Station16) as (cp, _):
        reservation = await reserve(station, token, timeout=5)
        result = await cp.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="TAG-0001",
                meter_start=0,
                timestamp=timezone.now().isoformat(),
                reservation_id=reservation.pk,
            )
        )
    assert result.id_tag_info["status"] == "Accepted"
    await reservation.arefresh_from_db()
    session = await ChargingSession.objects.aget(transaction_id=str(result.transaction_id))
    assert reservation.status == "used" and reservation.session_id == session.pk


async def test_a_start_naming_the_reservation_uses_it_201(station, token):
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        reservation = await reserve(station, token, timeout=5)
        await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=timezone.now().isoformat(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": "T-1"},
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-0001", "type": "ISO14443"},
                reservation_id=reservation.pk,
            )
        )
    await reservation.arefresh_from_db()
    assert reservation.status == "used"
    assert reservation.session_id == (await ChargingSession.objects.aget(transaction_id="T-1")).pk


async def test_the_reserved_token_uses_the_reservation_without_naming_it(station, token):
    async with connect("ocpp1.6", Station16) as (cp, _):
        reservation = await reserve(station, token, timeout=5)
        await cp.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="TAG-0001",
                meter_start=0,
                timestamp=timezone.now().isoformat(),
            )
        )
    await reservation.arefresh_from_db()
    assert reservation.status == "used"


async def test_another_token_on_a_reserved_connector_is_answered_invalid(station, token):
    await sync_to_async(IdToken.objects.create)(value="TAG-0002")
    async with connect("ocpp1.6", Station16) as (cp, _):
        reservation = await reserve(station, token, timeout=5)
        result = await cp.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="TAG-0002",
                meter_start=0,
                timestamp=timezone.now().isoformat(),
            )
        )
        elsewhere = await cp.call(
            call16.StartTransaction(
                connector_id=2,
                id_tag="TAG-0002",
                meter_start=0,
                timestamp=timezone.now().isoformat(),
            )
        )
    assert result.id_tag_info["status"] == "Invalid"
    assert elsewhere.id_tag_info["status"] == "Accepted"
    session = await ChargingSession.objects.aget(transaction_id=str(result.transaction_id))
    assert "connector_reserved" in session.flags
    await reservation.arefresh_from_db()
    assert reservation.status == "accepted"


def test_a_group_member_may_use_the_groups_reservation(station):
    group = IdToken.objects.create(value="FLEET")
    holder = IdToken.objects.create(value="CARD-1", parent=group)
    IdToken.objects.create(value="CARD-2", parent=group)
    reservation = Reservation.objects.create(
        station=station,
        connector=station.connectors.get(connector_id=1),
        id_token=holder,
        id_tag="CARD-1",
        expires_at=later(),
        status="accepted",
    )
    from stations.services import sessions

    result = sessions.session_start(
        station_pk=station.pk,
        connector_id=1,
        id_tag="CARD-2",
        meter_start_wh=0,
        timestamp=timezone.now(),
    )
    reservation.refresh_from_db()
    assert result.authorization.status == "Accepted" and reservation.status == "used"


def test_expiry_task_marks_lapsed_reservations(station):
    lapsed = Reservation.objects.create(
        station=station, id_tag="A", expires_at=later(-1), status="accepted"
    )
    pending = Reservation.objects.create(
        station=station, id_tag="B", expires_at=later(-1), status="requested"
    )
    current = Reservation.objects.create(
        station=station, id_tag="C", expires_at=later(5), status="accepted"
    )
    used = Reservation.objects.create(
        station=station, id_tag="D", expires_at=later(-1), status="used"
    )
    assert expire_reservations.apply().get(disable_sync_subtasks=False) == 2
    statuses = {r.pk: r.status for r in Reservation.objects.all()}
    assert statuses == {
        lapsed.pk: "expired",
        pending.pk: "expired",
        current.pk: "accepted",
        used.pk: "used",
    }


def test_expiry_runs_every_minute_on_beat():
    entry = app.conf.beat_schedule["expire-reservations"]
    assert entry["task"] == "stations.tasks.expire_reservations" and entry["schedule"] == 60


@pytest.mark.parametrize(("update", "status"), [("Expired", "expired"), ("Removed", "cancelled")])
async def test_reservation_status_update_201_is_applied(station, update, status):
    reservation = await sync_to_async(Reservation.objects.create)(
        station=station, id_tag="TAG-0001", expires_at=later(), status="accepted"
    )
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        await cp.call(
            call201.ReservationStatusUpdate(
                reservation_id=reservation.pk, reservation_update_status=update
            )
        )
    await reservation.arefresh_from_db()
    assert reservation.status == status


def test_an_expired_reservation_no_longer_holds_its_connector(station):
    Reservation.objects.create(
        station=station,
        connector=station.connectors.get(connector_id=1),
        id_tag="OTHER",
        expires_at=later(-1),
        status="accepted",
    )
    authorization.remote_start_check(station=station, connector_id=1, id_tag="TAG-0001")


def test_any_station_id_is_accepted(transactional_db):
    station = make_station("RDAM 123")
    assert authorization.remote_start_check(station=station, connector_id=None, id_tag="X") is None
