"""Each 2.0.1 (and 2.1) station-to-CSMS message, answered as the spec says, with its rows.

The station is the `ocpp` library's own ChargePoint of the version: it validates
ChargeNet's answers against the version's response schemas, so a wrong answer fails
the call. `ask` raises on a CallError.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call as call21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    DeviceModelVariable,
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
ENERGY = "Energy.Active.Import.Register"
CLIENTS = {"ocpp2.0.1": (ChargePoint201, call201), "ocpp2.1": (ChargePoint21, call21)}


def station_for(version):
    return connected_station(
        "CP-1", STATION_PASSWORD, version=version, station_class=CLIENTS[version][0]
    )


async def ask(cp, payload):
    return await cp.call(payload, suppress=False)


def iso(minute: int) -> str:
    return f"2026-11-20T10:{minute:02d}:00Z"


async def start_transaction(cp, call, tx="TX-1", wh=1000, evse=1, tag="TAG-0001"):
    return await ask(
        cp,
        call.TransactionEvent(
            event_type="Started",
            timestamp=T0,
            trigger_reason="Authorized",
            seq_no=0,
            transaction_info={"transaction_id": tx, "charging_state": "Charging"},
            evse={"id": evse, "connector_id": 1},
            id_token={"id_token": tag, "type": "ISO14443"},
            meter_value=[
                {
                    "timestamp": T0,
                    "sampled_value": [
                        {"value": wh, "measurand": ENERGY, "context": "Transaction.Begin"}
                    ],
                }
            ],
        ),
    )


# --- BootNotification / Heartbeat --------------------------------------------------------


async def test_boot_accepted_stores_identity_and_version(station, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        result = await ask(
            cp,
            call.BootNotification(
                charging_station={
                    "vendor_name": "Alfen",
                    "model": "Eve Double",
                    "serial_number": "ACE0001",
                    "firmware_version": "6.1.0",
                    "modem": {"iccid": "89310410106543789301", "imsi": "204043123456789"},
                },
                reason="PowerUp",
            ),
        )
    assert result.status == "Accepted" and result.interval == 300
    assert result.current_time.endswith("Z")
    assert abs(datetime.fromisoformat(result.current_time) - timezone.now()) < timedelta(minutes=1)
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert (saved.vendor, saved.model, saved.serial_number, saved.firmware_version) == (
        "Alfen",
        "Eve Double",
        "ACE0001",
        "6.1.0",
    )
    assert (saved.iccid, saved.imsi) == ("89310410106543789301", "204043123456789")
    assert saved.ocpp_version == version.removeprefix("ocpp")
    assert saved.last_boot_at is not None


async def test_heartbeat_answers_the_time_and_marks_the_station_seen(station, version):
    _, call = CLIENTS[version]
    await ChargingStation.objects.filter(pk=station.pk).aupdate(
        last_seen=timezone.now() - timedelta(hours=1)
    )
    async with station_for(version) as (cp, _):
        result = await ask(cp, call.Heartbeat())
    assert result.current_time.endswith("Z")
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert timezone.now() - saved.last_seen < timedelta(minutes=1)


# --- StatusNotification ---------------------------------------------------------------


async def test_status_notification_maps_evse_and_connector_to_station_connectors(station, version):
    _, call = CLIENTS[version]

    def status(evse_id, connector_id, connector_status, timestamp=T0):
        return call.StatusNotification(
            timestamp=timestamp,
            connector_status=connector_status,
            evse_id=evse_id,
            connector_id=connector_id,
        )

    async with station_for(version) as (cp, _):
        await ask(cp, status(1, 1, "Available"))
        await ask(cp, status(2, 1, "Reserved", "2026-11-20T10:05:00Z"))
        # A second connector on EVSE 2: a new station-wide connector number.
        await ask(cp, status(2, 2, "Unavailable"))
        await ask(cp, status(1, 1, "Faulted"))
        # EVSE 0 is the station as a whole.
        await ask(cp, status(0, 0, "Unavailable"))
        await ask(cp, status(2, 2, "Occupied"))
        await ask(cp, status(2, 2, "Occupied"))  # the same report twice changes nothing
    connectors = {
        c.connector_id: (c.evse_id, c.evse_connector_id, c.status, c.error_code)
        async for c in Connector.objects.filter(station=station)
    }
    assert connectors == {
        1: (1, 1, "Faulted", "OtherError"),
        2: (2, 1, "Reserved", "NoError"),
        3: (2, 2, "Preparing", "NoError"),
    }
    reserved = await Connector.objects.aget(station=station, connector_id=2)
    assert reserved.status_since == datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.status == "Unavailable"
    assert not await Connector.objects.filter(station=station, connector_id=0).aexists()


async def test_occupied_keeps_what_the_connector_is_doing(station, token, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        await start_transaction(cp, call)  # chargingState Charging
        await ask(
            cp,
            call.StatusNotification(
                timestamp=T0, connector_status="Occupied", evse_id=1, connector_id=1
            ),
        )
        charging = (await Connector.objects.aget(station=station, connector_id=1)).status
        await ask(
            cp,
            call.StatusNotification(
                timestamp=T0, connector_status="Available", evse_id=1, connector_id=1
            ),
        )
    assert charging == "Charging"
    assert (await Connector.objects.aget(station=station, connector_id=1)).status == "Available"


# --- Authorize --------------------------------------------------------------------------


async def test_authorize_answers_id_token_info(station, version):
    _, call = CLIENTS[version]
    group = await IdToken.objects.acreate(value="GROUP-1", type="Central")
    expires = timezone.now() + timedelta(days=30)
    await IdToken.objects.acreate(value="OK", parent=group, expires_at=expires)
    await IdToken.objects.acreate(value="PLAIN")
    await IdToken.objects.acreate(value="BLOCKED", status="blocked")
    await IdToken.objects.acreate(value="INVALID", status="invalid")
    await IdToken.objects.acreate(value="OLD", expires_at=timezone.now() - timedelta(days=1))
    busy = await IdToken.objects.acreate(value="BUSY")
    await ChargingSession.objects.acreate(
        station=station,
        id_token=busy,
        id_tag="BUSY",
        transaction_id="77",
        started_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )

    async def info(value, kind="ISO14443"):
        result = await ask(cp, call.Authorize(id_token={"id_token": value, "type": kind}))
        return result.id_token_info

    async with station_for(version) as (cp, _):
        ok = await info("OK")
        plain = await info("PLAIN")
        statuses = {
            value: (await info(value))["status"]
            for value in ("BLOCKED", "INVALID", "OLD", "NOPE", "BUSY")
        }
        no_authorization = await info("", "NoAuthorization")
    assert ok["status"] == "Accepted"
    assert ok["group_id_token"] == {"id_token": "GROUP-1", "type": "Central"}
    cache_expiry = datetime.fromisoformat(ok["cache_expiry_date_time"])
    assert abs(cache_expiry - expires) < timedelta(seconds=1)
    assert plain == {"status": "Accepted"}  # nothing optional that is not known
    assert statuses == {
        "BLOCKED": "Blocked",
        "INVALID": "Invalid",
        "OLD": "Expired",
        "NOPE": "Unknown",  # 2.0.1 has Unknown; 1.6 answers Invalid
        "BUSY": "Accepted",  # ConcurrentTx only answers a start
    }
    assert no_authorization["status"] == "Accepted"


async def test_authorize_is_case_insensitive(station, token, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        result = await ask(
            cp, call.Authorize(id_token={"id_token": "tag-0001", "type": "ISO14443"})
        )
    assert result.id_token_info["status"] == "Accepted"


# --- NotifyEvent / NotifyReport: the device model -----------------------------------------


def report_item(component, variable, attributes, characteristics=None, evse=None):
    item = {
        "component": {"name": component, **({"evse": evse} if evse else {})},
        "variable": {"name": variable},
        "variable_attribute": attributes,
    }
    if characteristics:
        item["variable_characteristics"] = characteristics
    return item


async def test_notify_report_keeps_the_device_model_and_a_second_report_upserts(station, version):
    _, call = CLIENTS[version]
    first = [
        report_item(
            "SmartChargingCtrlr",
            "LimitChangeSignificance",
            [
                {"type": "Actual", "value": "10", "mutability": "ReadWrite"},
                {"type": "MinSet", "value": "0", "mutability": "ReadOnly"},
            ],
            {"data_type": "decimal", "unit": "Percent", "supports_monitoring": False},
        ),
        report_item(
            "Connector",
            "ConnectorType",
            [{"value": "cType2"}],  # type and mutability omitted
            {"data_type": "string", "supports_monitoring": False},
            evse={"id": 1, "connector_id": 1},
        ),
        report_item(
            "ChargingStation",
            "Model",
            [{"value": "Eve", "mutability": "ReadOnly"}],
            {"data_type": "string", "supports_monitoring": False},
        ),
    ]
    second = [
        report_item(
            "SmartChargingCtrlr",
            "LimitChangeSignificance",
            [{"type": "Actual", "value": "15", "mutability": "ReadWrite"}],
            {"data_type": "decimal", "unit": "Percent", "supports_monitoring": False},
        )
    ]
    async with station_for(version) as (cp, _):
        await ask(
            cp,
            call.NotifyReport(
                request_id=7, generated_at=T0, seq_no=0, tbc=True, report_data=first[:2]
            ),
        )
        await ask(
            cp, call.NotifyReport(request_id=7, generated_at=T0, seq_no=1, report_data=first[2:])
        )
        await ask(
            cp, call.NotifyReport(request_id=8, generated_at=T0, seq_no=0, report_data=second)
        )
        await ask(cp, call.NotifyReport(request_id=9, generated_at=T0, seq_no=0))  # empty
    rows = {
        (r.component, r.evse_id, r.connector_id, r.variable, r.attribute_type): (
            r.value,
            r.mutability,
            r.data_type,
            r.unit,
        )
        async for r in DeviceModelVariable.objects.filter(station=station)
    }
    assert rows == {
        ("SmartChargingCtrlr", 0, 0, "LimitChangeSignificance", "Actual"): (
            "15",
            "ReadWrite",
            "decimal",
            "Percent",
        ),
        ("SmartChargingCtrlr", 0, 0, "LimitChangeSignificance", "MinSet"): (
            "0",
            "ReadOnly",
            "decimal",
            "Percent",
        ),
        # Omitted attribute type is Actual, omitted mutability ReadWrite (2.0.1 B07).
        ("Connector", 1, 1, "ConnectorType", "Actual"): ("cType2", "ReadWrite", "string", ""),
        ("ChargingStation", 0, 0, "Model", "Actual"): ("Eve", "ReadOnly", "string", ""),
    }


async def test_notify_report_with_instances_keeps_them_apart(station, version):
    _, call = CLIENTS[version]
    data = [
        {
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "MessageTimeout", "instance": "Default"},
            "variable_attribute": [{"value": "30"}],
        },
        {
            "component": {"name": "FiscalMetering", "instance": "Main"},
            "variable": {"name": "Enabled"},
            "variable_attribute": [{"value": "true"}],
        },
        {
            "component": {"name": "FiscalMetering", "instance": "Backup"},
            "variable": {"name": "Enabled"},
            "variable_attribute": [{"value": "false"}],
        },
    ]
    async with station_for(version) as (cp, _):
        await ask(cp, call.NotifyReport(request_id=1, generated_at=T0, seq_no=0, report_data=data))
    rows = {
        (r.component, r.component_instance, r.variable, r.variable_instance): r.value
        async for r in DeviceModelVariable.objects.filter(station=station)
    }
    assert rows == {
        ("OCPPCommCtrlr", "", "MessageTimeout", "Default"): "30",
        ("FiscalMetering", "Main", "Enabled", ""): "true",
        ("FiscalMetering", "Backup", "Enabled", ""): "false",
    }


def event(event_id, component, variable, value, trigger="Delta", evse=None, timestamp=T0):
    return {
        "event_id": event_id,
        "timestamp": timestamp,
        "trigger": trigger,
        "actual_value": value,
        "event_notification_type": "HardWiredMonitor",
        "component": {"name": component, **({"evse": evse} if evse else {})},
        "variable": {"name": variable},
    }


async def test_notify_event_records_events_values_and_connector_availability(station, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        await ask(
            cp,
            call.NotifyEvent(
                generated_at=T0,
                seq_no=0,
                event_data=[
                    event(1, "ChargingStation", "Problem", "true", trigger="Alerting"),
                    event(
                        2,
                        "Connector",
                        "AvailabilityState",
                        "Faulted",
                        evse={"id": 1, "connector_id": 1},
                    ),
                    event(3, "Connector", "AvailabilityState", "Occupied", evse={"id": 2}),
                ],
            ),
        )
    kinds = [(e.kind, e.status) async for e in StationEvent.objects.order_by("id")]
    assert kinds == [
        ("NotifyEvent", "Alerting"),
        ("NotifyEvent", "Delta"),
        ("NotifyEvent", "Delta"),
    ]
    first = await StationEvent.objects.order_by("id").afirst()
    assert first.timestamp == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert first.data["component"]["name"] == "ChargingStation"
    values = {
        (r.component, r.evse_id, r.variable, r.attribute_type): r.value
        async for r in DeviceModelVariable.objects.filter(station=station)
    }
    assert values == {
        ("ChargingStation", 0, "Problem", "Actual"): "true",
        ("Connector", 1, "AvailabilityState", "Actual"): "Faulted",
        ("Connector", 2, "AvailabilityState", "Actual"): "Occupied",
    }
    connectors = {c.connector_id: (c.status, c.error_code) async for c in Connector.objects.all()}
    assert connectors == {1: ("Faulted", "OtherError"), 2: ("Preparing", "NoError")}


async def test_notify_event_station_availability_and_stray_values(station, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        await ask(
            cp,
            call.NotifyEvent(
                generated_at=T0,
                seq_no=0,
                event_data=[
                    event(1, "ChargingStation", "AvailabilityState", "Unavailable"),
                    # A Connector without its EVSE names no connector: not the station.
                    event(2, "Connector", "AvailabilityState", "Faulted"),
                    # Not a connector status: kept in the device model only.
                    event(3, "Connector", "AvailabilityState", "Sleeping", evse={"id": 1}),
                    event(4, "EVSE", "AvailabilityState", "Faulted", evse={"id": 2}),
                ],
            ),
        )
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.status == "Unavailable"
    connectors = {c.connector_id: c.status async for c in Connector.objects.all()}
    assert connectors == {1: "Available", 2: "Available"}
    assert await StationEvent.objects.filter(kind="NotifyEvent").acount() == 4
    assert await DeviceModelVariable.objects.filter(variable="AvailabilityState").acount() == 4


async def test_notify_event_with_two_values_of_one_variable_keeps_the_newest(station, version):
    """One message may carry several events of one variable (e.g. a fast Delta monitor)."""
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        await ask(
            cp,
            call.NotifyEvent(
                generated_at=T0,
                seq_no=0,
                event_data=[
                    event(1, "EVSE", "Power", "7400", timestamp="2026-11-20T10:00:02Z"),
                    event(2, "EVSE", "Power", "3700", timestamp="2026-11-20T10:00:01Z"),
                    event(3, "EVSE", "Power", "11000", timestamp="2026-11-20T10:00:03Z"),
                ],
            ),
        )
    assert await StationEvent.objects.filter(kind="NotifyEvent").acount() == 3
    row = await DeviceModelVariable.objects.aget(station=station, variable="Power")
    assert row.value == "11000"


async def test_notify_event_keeps_what_notify_report_said_about_the_variable(station, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        await ask(
            cp,
            call.NotifyReport(
                request_id=1,
                generated_at=T0,
                seq_no=0,
                report_data=[
                    report_item(
                        "EVSE",
                        "Power",
                        [{"value": "0", "mutability": "ReadOnly"}],
                        {"data_type": "decimal", "unit": "W", "supports_monitoring": True},
                        evse={"id": 1},
                    )
                ],
            ),
        )
        await ask(
            cp,
            call.NotifyEvent(
                generated_at=T0,
                seq_no=0,
                event_data=[event(1, "EVSE", "Power", "7400", evse={"id": 1})],
            ),
        )
    row = await DeviceModelVariable.objects.aget(station=station, variable="Power")
    assert (row.value, row.mutability, row.data_type, row.unit) == (
        "7400",
        "ReadOnly",
        "decimal",
        "W",
    )


# --- MeterValues ------------------------------------------------------------------------


async def test_meter_values_units_and_multipliers_are_normalised(station, token, version):
    _, call = CLIENTS[version]

    def sampled(value, unit=None, multiplier=None, measurand=ENERGY, **extra):
        unit_of_measure = {}
        if unit:
            unit_of_measure["unit"] = unit
        if multiplier is not None:
            unit_of_measure["multiplier"] = multiplier
        result = {"value": value, "measurand": measurand, **extra}
        if unit_of_measure:
            result["unit_of_measure"] = unit_of_measure
        return result

    async with station_for(version) as (cp, _):
        await start_transaction(cp, call, wh=1000)
        await ask(
            cp,
            call.MeterValues(
                evse_id=1,
                meter_value=[
                    {
                        "timestamp": iso(5),
                        "sampled_value": [
                            sampled(1.5, "kWh", context="Sample.Periodic"),
                            sampled(7.2, "kW", measurand="Power.Active.Import"),
                            sampled(16, "A", measurand="Current.Import", phase="L1"),
                            sampled(55, "Percent", measurand="SoC", location="EV"),
                        ],
                    },
                    {"timestamp": iso(10), "sampled_value": [sampled(2, "Wh", 3)]},
                    {"timestamp": iso(15), "sampled_value": [sampled(25000, "Wh", -1)]},
                ],
            ),
        )
        # A replayed MeterValues inserts nothing twice.
        await ask(
            cp,
            call.MeterValues(
                evse_id=1, meter_value=[{"timestamp": iso(15), "sampled_value": [sampled(2500)]}]
            ),
        )
        # evseId 0: the station's main meter, no session.
        await ask(
            cp,
            call.MeterValues(
                evse_id=0,
                meter_value=[{"timestamp": iso(15), "sampled_value": [sampled(99, "kWh")]}],
            ),
        )
    session = await ChargingSession.objects.aget()
    energy = [
        (s.timestamp.minute, s.value, s.unit)
        async for s in MeterSample.objects.filter(session=session, measurand=ENERGY).order_by(
            "timestamp"
        )
    ]
    assert energy == [(0, 1000, "Wh"), (5, 1500, "Wh"), (10, 2000, "Wh"), (15, 2500, "Wh")]
    power = await MeterSample.objects.aget(measurand="Power.Active.Import")
    assert (power.value, power.unit, power.connector_id) == (7200, "W", 1)
    assert (await MeterSample.objects.aget(measurand="Current.Import")).phase == "L1"
    assert (await MeterSample.objects.aget(measurand="SoC")).location == "EV"
    main = await MeterSample.objects.aget(connector_id=0)
    assert (main.value, main.session_id) == (99000, None)
    assert (session.energy_wh, session.meter_last_wh, session.power_w) == (1500, 2500, 7200)


# --- Notifications ----------------------------------------------------------------------


async def test_firmware_log_and_security_notifications_are_kept(station, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        await ask(cp, call.FirmwareStatusNotification(status="Downloading", request_id=3))
        await ask(cp, call.FirmwareStatusNotification(status="Installed", request_id=3))
        await ask(cp, call.LogStatusNotification(status="Uploaded", request_id=4))
        await ask(
            cp,
            call.SecurityEventNotification(
                type="TamperDetectionActivated", timestamp=iso(3), tech_info="lid open"
            ),
        )
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert (saved.firmware_status, saved.log_status) == ("Installed", "Uploaded")
    events = [(e.kind, e.status) async for e in StationEvent.objects.order_by("id")]
    assert events == [
        ("FirmwareStatus", "Downloading"),
        ("FirmwareStatus", "Installed"),
        ("LogStatus", "Uploaded"),
        ("SecurityEvent", "TamperDetectionActivated"),
    ]
    security = await StationEvent.objects.aget(kind="SecurityEvent")
    assert security.data["tech_info"] == "lid open"
    assert security.timestamp == datetime(2026, 11, 20, 10, 3, tzinfo=UTC)
    firmware = await StationEvent.objects.filter(kind="FirmwareStatus").afirst()
    assert firmware.data["request_id"] == 3


async def test_data_transfer_unknown_vendor_unless_registered(station, version):
    _, call = CLIENTS[version]
    data_transfer.register(
        "com.example", lambda **kw: DataTransferResult("Accepted", {"pong": kw["data"]})
    )
    try:
        async with station_for(version) as (cp, _):
            unknown = await ask(
                cp, call.DataTransfer(vendor_id="com.other", message_id="x", data={"a": 1})
            )
            known = await ask(cp, call.DataTransfer(vendor_id="com.example", data="ping"))
    finally:
        data_transfer.unregister("com.example")
    assert (unknown.status, unknown.data) == ("UnknownVendorId", None)
    assert (known.status, known.data) == ("Accepted", {"pong": "ping"})
    rows = [(e.status, e.data["vendor_id"]) async for e in StationEvent.objects.order_by("id")]
    assert rows == [("UnknownVendorId", "com.other"), ("Accepted", "com.example")]


SCHEDULE = {
    "id": 1,
    "charging_rate_unit": "W",
    "charging_schedule_period": [{"start_period": 0, "limit": 11000.0}],
}


def notifications(call):
    """(message, expected StationEvent kind, expected status) for every kept notification."""
    return [
        (
            call.ReservationStatusUpdate(reservation_id=5, reservation_update_status="Expired"),
            "ReservationStatus",
            "Expired",
        ),
        (
            call.NotifyChargingLimit(
                charging_limit={"charging_limit_source": "EMS", "is_grid_critical": False},
                evse_id=1,
                charging_schedule=[SCHEDULE],
            ),
            "ChargingLimit",
            "",
        ),
        (
            call.ClearedChargingLimit(charging_limit_source="EMS", evse_id=1),
            "ChargingLimitCleared",
            "",
        ),
        (
            call.ReportChargingProfiles(
                request_id=9,
                charging_limit_source="CSO",
                evse_id=1,
                charging_profile=[
                    {
                        "id": 10,
                        "stack_level": 0,
                        "charging_profile_purpose": "TxDefaultProfile",
                        "charging_profile_kind": "Absolute",
                        "charging_schedule": [SCHEDULE],
                    }
                ],
            ),
            "ChargingProfiles",
            "",
        ),
        (
            call.NotifyCustomerInformation(
                data="customer ABC: 3 sessions", seq_no=0, generated_at=T0, request_id=11
            ),
            "CustomerInformation",
            "",
        ),
        (
            call.NotifyMonitoringReport(
                request_id=12,
                seq_no=0,
                generated_at=T0,
                monitor=[
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "Power"},
                        "variable_monitoring": [
                            {
                                "id": 1,
                                "transaction": False,
                                "value": 100.0,
                                "type": "Delta",
                                "severity": 8,
                                **(
                                    {"event_notification_type": "CustomMonitor"}
                                    if call is call21
                                    else {}
                                ),
                            }
                        ],
                    }
                ],
            ),
            "MonitoringReport",
            "",
        ),
        (
            call.NotifyDisplayMessages(
                request_id=13,
                message_info=[
                    {
                        "id": 1,
                        "priority": "NormalCycle",
                        "message": {"format": "UTF8", "content": "Welcome"},
                    }
                ],
            ),
            "DisplayMessages",
            "",
        ),
        (
            call.PublishFirmwareStatusNotification(
                status="Published", location=["http://lc.local/fw.bin"], request_id=14
            ),
            "PublishFirmwareStatus",
            "Published",
        ),
    ]


async def test_notifications_are_answered_empty_and_kept(station, version):
    _, call = CLIENTS[version]
    expected = notifications(call)
    async with station_for(version) as (cp, _):
        for message, _, _ in expected:
            result = await ask(cp, message)
            assert result == type(result)()  # an empty answer, as the schema wants
    events = [(e.kind, e.status, e.data) async for e in StationEvent.objects.order_by("id")]
    assert [(kind, status) for kind, status, _ in events] == [
        (kind, status) for _, kind, status in expected
    ]
    data = {kind: payload for kind, _, payload in events}
    assert data["ReservationStatus"]["reservation_id"] == 5
    assert data["ChargingLimit"]["charging_limit"]["charging_limit_source"] == "EMS"
    assert data["ChargingProfiles"]["charging_profile"][0]["id"] == 10
    assert data["CustomerInformation"]["data"] == "customer ABC: 3 sessions"
    assert data["MonitoringReport"]["monitor"][0]["variable"]["name"] == "Power"
    assert data["DisplayMessages"]["message_info"][0]["message"]["content"] == "Welcome"
    assert data["PublishFirmwareStatus"]["location"] == ["http://lc.local/fw.bin"]


async def test_ev_charging_needs_and_schedule(station, version):
    _, call = CLIENTS[version]
    async with station_for(version) as (cp, _):
        needs = await ask(
            cp,
            call.NotifyEVChargingNeeds(
                evse_id=1,
                charging_needs={
                    "requested_energy_transfer": "AC_three_phase",
                    "ac_charging_parameters": {
                        "energy_amount": 30000,
                        "ev_min_current": 6,
                        "ev_max_current": 32,
                        "ev_max_voltage": 400,
                    },
                },
            ),
        )
        schedule = await ask(
            cp,
            call.NotifyEVChargingSchedule(
                time_base=T0,
                evse_id=1,
                charging_schedule={**SCHEDULE, "id": 2},
            ),
        )
    # No transaction on EVSE 1 for a TxProfile to name (K15): none will come.
    assert needs.status == "Rejected"
    assert schedule.status == "Accepted"
    events = {e.kind: e async for e in StationEvent.objects.all()}
    assert (
        events["EVChargingNeeds"].data["charging_needs"]["ac_charging_parameters"]["energy_amount"]
        == 30000
    )
    assert events["EVChargingSchedule"].data["schedule"]["id"] == 2


async def test_certificate_requests_are_refused_as_the_spec_allows(station, version):
    _, call = CLIENTS[version]
    schema_version = (
        {"iso15118_schema_version": "urn:iso:15118:2:2013:MsgDef"}
        if call is call201
        else {"iso_15118_schema_version": "urn:iso:15118:2:2013:MsgDef"}
    )
    async with station_for(version) as (cp, _):
        sign = await ask(
            cp,
            call.SignCertificate(
                csr="-----BEGIN CERTIFICATE REQUEST-----",
                certificate_type="ChargingStationCertificate",
            ),
        )
        ev_certificate = await ask(
            cp, call.Get15118EVCertificate(action="Install", exi_request="AAEC", **schema_version)
        )
        status = await ask(
            cp,
            call.GetCertificateStatus(
                ocsp_request_data={
                    "hash_algorithm": "SHA256",
                    "issuer_name_hash": "a" * 64,
                    "issuer_key_hash": "b" * 64,
                    "serial_number": "01",
                    "responder_url": "http://127.0.0.1:9/ocsp",
                }
            ),
        )
    assert sign.status == "Rejected"
    assert (ev_certificate.status, ev_certificate.exi_response) == ("Failed", "")
    assert status.status == "Failed" and status.ocsp_result is None
    kinds = {e.kind: e.status async for e in StationEvent.objects.all()}
    # No CA, contract-certificate service or reachable OCSP responder is configured.
    assert kinds == {
        "SignCertificate": "Rejected",
        "15118EVCertificate": "Failed",
        "CertificateStatus": "Failed",
    }


async def test_data_transfer_data_reaches_the_vendor_and_the_station_unchanged(station, version):
    """2.0.1 `data` is anyType: its keys are the vendor's, never case-converted."""
    received = {}

    def vendor(**kw):
        received.update(kw)
        return DataTransferResult("Accepted", {"resultKey": 1, "socket": 2, "snake_key": [3]})

    data_transfer.register("com.example", vendor)
    sent = {"someKey": {"innerKey": [{"deepKey": 1}]}, "socket": 2, "snake_key": "x"}
    communicator = communicator_for(
        "/ocpp/CP-1", subprotocols=(version,), headers=[basic_auth("CP-1", STATION_PASSWORD)]
    )
    try:
        assert (await communicator.connect(timeout=10))[0]
        reply = await raw_exchange(
            communicator,
            [2, "d1", "DataTransfer", {"vendorId": "com.example", "messageId": "m", "data": sent}],
        )
        await communicator.disconnect()
    finally:
        data_transfer.unregister("com.example")
    assert received["data"] == sent and received["message_id"] == "m"
    assert reply == [
        3,
        "d1",
        {"status": "Accepted", "data": {"resultKey": 1, "socket": 2, "snake_key": [3]}},
    ]
    kept = await StationEvent.objects.aget(kind="DataTransfer")
    assert kept.data["data"] == sent
