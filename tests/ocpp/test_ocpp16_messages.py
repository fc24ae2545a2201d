"""Each 1.6 charge-point message, answered as the spec says, with its database outcome."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from ocpp.v16 import call

from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    IdToken,
    MeterSample,
    StationEvent,
)
from stations.services import data_transfer
from stations.services.data_transfer import DataTransferResult
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import basic_auth, communicator_for, connected_station, raw_exchange

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

T0 = "2026-11-20T10:00:00Z"
BOOT = {"chargePointVendor": "V", "chargePointModel": "M"}


def energy(value, unit="Wh", **extra):
    return {
        "value": str(value),
        "unit": unit,
        "measurand": "Energy.Active.Import.Register",
        **extra,
    }


def meter_value(timestamp, *sampled):
    return {"timestamp": timestamp, "sampled_value": list(sampled)}


async def start(cp, connector_id=1, id_tag="TAG-0001", meter_start=1000, timestamp=T0):
    return await cp.call(
        call.StartTransaction(
            connector_id=connector_id, id_tag=id_tag, meter_start=meter_start, timestamp=timestamp
        )
    )


# --- BootNotification -------------------------------------------------------------


async def test_boot_accepted_stores_identity(station):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        result = await cp.call(
            call.BootNotification(
                charge_point_vendor="Alfen",
                charge_point_model="Eve",
                charge_point_serial_number="S1",
                firmware_version="4.2",
                iccid="8931",
                meter_type="MID",
            )
        )
    assert result.status == "Accepted" and result.interval == 300
    assert result.current_time.endswith("Z")
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert (saved.vendor, saved.model, saved.serial_number, saved.firmware_version) == (
        "Alfen",
        "Eve",
        "S1",
        "4.2",
    )
    assert saved.last_boot_at is not None


@pytest.mark.parametrize(
    ("registration", "status"), [("pending", "Pending"), ("rejected", "Rejected")]
)
async def test_boot_pending_or_rejected_and_other_messages_get_security_error(
    station, registration, status
):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(registration_status=registration)
    communicator = communicator_for("/ocpp/CP-1", headers=[basic_auth("CP-1", STATION_PASSWORD)])
    assert (await communicator.connect())[0]
    boot = await raw_exchange(communicator, [2, "b1", "BootNotification", BOOT])
    assert boot[2]["status"] == status and boot[2]["interval"] > 0
    reply = await raw_exchange(communicator, [2, "h1", "Heartbeat", {}])
    await communicator.disconnect()
    assert reply[:3] == [4, "h1", "SecurityError"]


async def test_station_accepted_by_operator_meanwhile_is_served(station):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(registration_status="pending")
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        assert (
            await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        ).status == "Pending"
        await ChargingStation.objects.filter(pk=station.pk).aupdate(registration_status="accepted")
        assert (await cp.call(call.Heartbeat())).current_time


# --- StatusNotification -----------------------------------------------------------


async def test_status_notification_connector_zero_is_the_station(station):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        await cp.call(
            call.StatusNotification(connector_id=0, error_code="NoError", status="Unavailable")
        )
        await cp.call(
            call.StatusNotification(
                connector_id=1,
                error_code="GroundFailure",
                status="Faulted",
                info="RCD",
                vendor_error_code="E12",
                timestamp=T0,
            )
        )
        await cp.call(
            call.StatusNotification(connector_id=3, error_code="NoError", status="Available")
        )
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.status == "Unavailable"
    connector = await Connector.objects.aget(station=station, connector_id=1)
    assert (
        connector.status,
        connector.error_code,
        connector.info,
        connector.vendor_error_code,
    ) == (
        "Faulted",
        "GroundFailure",
        "RCD",
        "E12",
    )
    assert connector.status_since == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert await Connector.objects.filter(
        station=station, connector_id=3, status="Available"
    ).aexists()
    assert not await Connector.objects.filter(station=station, connector_id=0).aexists()


# --- Authorize --------------------------------------------------------------------


async def test_authorize_answers_every_status(station):
    group = await IdToken.objects.acreate(value="GROUP-1")
    await IdToken.objects.acreate(
        value="OK", parent=group, expires_at=timezone.now() + timedelta(days=30)
    )
    await IdToken.objects.acreate(value="BLOCKED", status="blocked")
    await IdToken.objects.acreate(value="OLD", expires_at=timezone.now() - timedelta(days=1))
    busy = await IdToken.objects.acreate(value="BUSY")
    await ChargingSession.objects.acreate(
        station=station,
        id_token=busy,
        id_tag="BUSY",
        transaction_id="77",
        started_at=timezone.now(),
    )
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        ok = (await cp.call(call.Authorize(id_tag="OK"))).id_tag_info
        statuses = {
            tag: (await cp.call(call.Authorize(id_tag=tag))).id_tag_info["status"]
            for tag in ("BLOCKED", "OLD", "NOPE", "BUSY")
        }
    assert ok["status"] == "Accepted" and ok["parent_id_tag"] == "GROUP-1" and "expiry_date" in ok
    assert statuses == {
        "BLOCKED": "Blocked",
        "OLD": "Expired",
        "NOPE": "Invalid",
        "BUSY": "Accepted",  # ConcurrentTx only answers a start
    }


# --- Start / MeterValues / Stop -----------------------------------------------------


async def test_start_assigns_integer_id_and_replay_returns_the_same(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        first = await start(cp)
        again = await start(cp)
        other = await start(cp, connector_id=2, meter_start=50)
    assert isinstance(first.transaction_id, int)
    assert again.transaction_id == first.transaction_id
    assert other.transaction_id != first.transaction_id
    assert await ChargingSession.objects.acount() == 2
    session = await ChargingSession.objects.aget(transaction_id=str(first.transaction_id))
    assert session.started_at == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert session.meter_start_wh == 1000 and session.state == "active"


async def test_start_with_unknown_token_is_recorded_and_answered_invalid(station):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        result = await start(cp, id_tag="STRANGER")
    assert result.id_tag_info["status"] == "Invalid"
    session = await ChargingSession.objects.aget()
    assert session.id_tag == "STRANGER" and "token_unknown" in session.flags


async def test_meter_values_every_measurand_normalised_and_bulk_stored(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        tx = (await start(cp)).transaction_id
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[
                    meter_value(
                        "2026-11-20T10:05:00Z",
                        energy("2.5", "kWh", context="Sample.Periodic", location="Outlet"),
                        {"value": "11", "unit": "kW", "measurand": "Power.Active.Import"},
                        {
                            "value": "16.1",
                            "unit": "A",
                            "measurand": "Current.Import",
                            "phase": "L1",
                        },
                        {"value": "230.4", "unit": "V", "measurand": "Voltage", "phase": "L1-N"},
                        {"value": "55", "unit": "Percent", "measurand": "SoC", "location": "EV"},
                        {
                            "value": "31.5",
                            "unit": "Celsius",
                            "measurand": "Temperature",
                            "location": "Body",
                        },
                    ),
                ],
            )
        )
        # A replay of the same MeterValues inserts nothing twice.
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[
                    meter_value(
                        "2026-11-20T10:05:00Z",
                        energy("2.5", "kWh", context="Sample.Periodic", location="Outlet"),
                    )
                ],
            )
        )
    samples = {s.measurand: s async for s in MeterSample.objects.all()}
    assert len(samples) == 6 and await MeterSample.objects.acount() == 6
    assert samples["Energy.Active.Import.Register"].value == 2500
    assert samples["Energy.Active.Import.Register"].unit == "Wh"
    assert samples["Energy.Active.Import.Register"].context == "Sample.Periodic"
    assert (
        samples["Power.Active.Import"].value == 11000 and samples["Power.Active.Import"].unit == "W"
    )
    assert samples["Current.Import"].phase == "L1"
    assert samples["SoC"].location == "EV"
    session = await ChargingSession.objects.aget(transaction_id=str(tx))
    assert session.energy_wh == 1500 and session.power_w == 11000 and session.meter_last_wh == 2500


async def test_stop_records_energy_reason_and_transaction_data(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        tx = (await start(cp)).transaction_id
        result = await cp.call(
            call.StopTransaction(
                meter_stop=9000,
                timestamp="2026-11-20T11:00:00Z",
                transaction_id=tx,
                reason="Remote",
                transaction_data=[meter_value("2026-11-20T10:30:00Z", energy(5000))],
            )
        )
        replay = await cp.call(
            call.StopTransaction(
                meter_stop=9000, timestamp="2026-11-20T11:00:00Z", transaction_id=tx
            )
        )
    assert result.id_tag_info is None and replay.id_tag_info is None
    session = await ChargingSession.objects.aget()
    assert session.state == "ended" and session.energy_wh == 8000 and session.meter_stop_wh == 9000
    assert session.stop_reason == "Remote"
    assert session.ended_at == datetime(2026, 11, 20, 11, tzinfo=UTC)
    assert await MeterSample.objects.filter(session=session).acount() == 1


# --- Sanity problems: recorded, flagged, always answered ------------------------------


async def test_meter_going_backwards_is_flagged(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        tx = (await start(cp)).transaction_id
        for ts, value in (("2026-11-20T10:05:00Z", 3000), ("2026-11-20T10:06:00Z", 2000)):
            await cp.call(
                call.MeterValues(
                    connector_id=1, transaction_id=tx, meter_value=[meter_value(ts, energy(value))]
                )
            )
    session = await ChargingSession.objects.aget()
    assert "meter_backwards" in session.flags and session.energy_wh == 2000
    assert await MeterSample.objects.acount() == 2


async def test_timestamps_from_1970_or_the_future_are_flagged_and_replaced(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        tx = (await start(cp, timestamp="1970-01-01T00:00:10Z")).transaction_id
        await cp.call(
            call.StopTransaction(
                meter_stop=2000, timestamp="2099-01-01T00:00:00Z", transaction_id=tx
            )
        )
    session = await ChargingSession.objects.aget()
    assert {"start_time_implausible", "stop_time_implausible"} <= set(session.flags)
    assert abs(session.started_at - timezone.now()) < timedelta(minutes=1)
    assert session.ended_at >= session.started_at


@pytest.mark.parametrize("transaction_id", [-1, 424242])
async def test_stop_of_unknown_transaction_is_answered_and_recorded(station, transaction_id):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        stop = call.StopTransaction(
            meter_stop=5000, timestamp=T0, transaction_id=transaction_id, id_tag="TAG-X"
        )
        result = await cp.call(stop)
        await cp.call(stop)  # replayed after a reconnect
    assert result.id_tag_info["status"] == "Invalid"
    session = await ChargingSession.objects.aget()
    assert session.state == "ended" and session.reported_transaction_id == str(transaction_id)
    assert session.transaction_id is None and "unknown_transaction" in session.flags
    assert session.meter_stop_wh == 5000


async def test_meter_stop_below_start_is_flagged_not_negative(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        tx = (await start(cp, meter_start=5000)).transaction_id
        await cp.call(call.StopTransaction(meter_stop=4000, timestamp=T0, transaction_id=tx))
    session = await ChargingSession.objects.aget()
    assert session.energy_wh == 0 and "meter_stop_below_start" in session.flags
    assert session.meter_stop_wh == 4000


async def test_late_meter_values_never_reopen_a_session(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        tx = (await start(cp)).transaction_id
        await cp.call(
            call.StopTransaction(
                meter_stop=3000, timestamp="2026-11-20T10:30:00Z", transaction_id=tx
            )
        )
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=tx,
                meter_value=[meter_value("2026-11-20T10:20:00Z", energy(2500))],
            )
        )
    session = await ChargingSession.objects.aget()
    assert session.state == "ended" and session.energy_wh == 2000
    assert "meter_values_after_stop" in session.flags
    assert await MeterSample.objects.filter(session=session).acount() == 1


async def test_meter_values_with_transaction_minus_one_are_kept(station):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        await cp.call(
            call.MeterValues(
                connector_id=1, transaction_id=-1, meter_value=[meter_value(T0, energy(10))]
            )
        )
    sample = await MeterSample.objects.aget()
    assert sample.session_id is None and sample.connector_id == 1


async def test_new_start_closes_a_session_the_station_forgot(station, token):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        first = (await start(cp)).transaction_id
        await start(cp, meter_start=4000, timestamp="2026-11-20T12:00:00Z")
    stale = await ChargingSession.objects.aget(transaction_id=str(first))
    assert stale.state == "ended" and "closed_by_new_start" in stale.flags
    assert await ChargingSession.objects.filter(state="active").acount() == 1


# --- Notifications and data transfer --------------------------------------------------


async def test_notifications_are_kept_for_the_operator(station):
    async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
        await cp.call(call.DiagnosticsStatusNotification(status="Uploaded"))
        await cp.call(call.FirmwareStatusNotification(status="Installing"))
        await cp.call(
            call.SignedFirmwareStatusNotification(status="SignatureVerified", request_id=7)
        )
        await cp.call(call.LogStatusNotification(status="Uploading", request_id=8))
        await cp.call(
            call.SecurityEventNotification(
                type="TamperDetectionActivated", timestamp=T0, tech_info="lid"
            )
        )
        sign = await cp.call(call.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----"))
    assert sign.status == "Rejected"
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.diagnostics_status == "Uploaded"
    assert saved.firmware_status == "SignatureVerified"
    assert saved.log_status == "Uploading"
    kinds = [e.kind async for e in StationEvent.objects.order_by("id")]
    assert kinds == [
        "DiagnosticsStatus",
        "FirmwareStatus",
        "FirmwareStatus",
        "LogStatus",
        "SecurityEvent",
        "SignCertificate",
    ]
    security = await StationEvent.objects.aget(kind="SecurityEvent")
    assert security.status == "TamperDetectionActivated" and security.data["tech_info"] == "lid"


async def test_data_transfer_unknown_vendor_unless_registered(station):
    data_transfer.register("com.example", lambda **kw: DataTransferResult("Accepted", "pong"))
    try:
        async with connected_station("CP-1", STATION_PASSWORD) as (cp, _):
            unknown = await cp.call(
                call.DataTransfer(vendor_id="com.other", message_id="x", data="1")
            )
            known = await cp.call(call.DataTransfer(vendor_id="com.example", data="ping"))
    finally:
        data_transfer.unregister("com.example")
    assert unknown.status == "UnknownVendorId"
    assert (known.status, known.data) == ("Accepted", "pong")
    assert await StationEvent.objects.filter(kind="DataTransfer").acount() == 2
