"""What a station holds, as rows: monitors, display messages, installed certificates,
customer-information reports, device-model characteristics, and the pruning of
superseded cost updates.

Each test sends the command to a library station answering with real OCPP payloads
(or has the station send its notification); the rows follow what the station said.
"""

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as r201

from stations import selectors
from stations.commands.service import command_send
from stations.models import (
    Command,
    CustomerInformationReport,
    DeviceModelVariable,
    DisplayMessage,
    InstalledCertificate,
    VariableMonitor,
)
from stations.ocpp import records201
from tests.support.charge_points import booted
from tests.support.command_stations import AllCommands16, AllCommands201
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

T0 = "2026-11-20T10:00:00Z"
POWER = {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Power"}}


class Station(AllCommands201):
    @on("CostUpdated")
    def cost_updated(self, **kw):
        self.got("CostUpdated", kw)
        return r201.CostUpdated()


def station_session(client=Station, version="ocpp2.0.1"):
    return connected_station("CP-1", STATION_PASSWORD, version=version, station_class=client)


async def send(cp, station, action, params, replies=None):
    cp.replies.update(replies or {})
    return await command_send(station, action, params, timeout=5)


async def rows(model, **filters):
    return [row async for row in model.objects.filter(**filters)]


# --- monitors -------------------------------------------------------------------------


async def test_an_accepted_monitor_is_a_row_until_the_station_clears_it(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(
            cp,
            station,
            "set_variable_monitoring",
            {
                "monitors": [
                    {
                        "key": "EVSE.Power",
                        "evse_id": 1,
                        "type": "upper_threshold",
                        "value": 11000,
                        "severity": 4,
                        "transaction": True,
                    },
                    {
                        "component": "ChargingStation",
                        "variable": "AvailabilityState",
                        "type": "delta",
                        "value": 1,
                        "severity": 7,
                    },
                ]
            },
        )
        assert command.status == "accepted"
        monitors = await rows(VariableMonitor, station=station)
        assert sorted(
            (m.monitor_id, m.component, m.variable, m.type, m.value, m.severity, m.transaction)
            for m in monitors
        ) == [
            (100, "EVSE", "Power", "UpperThreshold", 11000.0, 4, True),
            (101, "ChargingStation", "AvailabilityState", "Delta", 1.0, 7, False),
        ]
        cleared = await send(cp, station, "clear_variable_monitoring", {"ids": [100]})
        assert cleared.status == "accepted"
    assert [m.monitor_id for m in await rows(VariableMonitor, station=station)] == [101]


async def test_a_refused_monitor_leaves_no_row(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        cp.answer["SetVariableMonitoring"] = "UnknownVariable"
        command = await send(
            cp,
            station,
            "set_variable_monitoring",
            {"monitors": [{"key": "Nothing.Here", "type": "delta", "value": 1, "severity": 1}]},
        )
    assert command.status == "rejected"
    assert await rows(VariableMonitor, station=station) == []


async def test_a_full_monitoring_report_replaces_the_monitors_held(station):
    await VariableMonitor.objects.acreate(
        station=station,
        monitor_id=9,
        component="Old",
        variable="Gone",
        type="Delta",
        value=1,
        severity=1,
    )
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(cp, station, "get_monitoring_report", {})
        monitor = {"id": 3, "transaction": False, "value": 50.5, "type": "Periodic", "severity": 8}
        for seq_no, tbc in ((0, True), (1, False)):
            await cp.call(
                call201.NotifyMonitoringReport(
                    request_id=command.pk,
                    seq_no=seq_no,
                    generated_at=T0,
                    tbc=tbc,
                    monitor=[{**POWER, "variable_monitoring": [{**monitor, "id": 3 + seq_no}]}],
                ),
                suppress=False,
            )
    monitors = await rows(VariableMonitor, station=station)
    assert sorted((m.monitor_id, m.evse_id, m.type, m.value) for m in monitors) == [
        (3, 1, "Periodic", 50.5),
        (4, 1, "Periodic", 50.5),
    ]


async def test_a_filtered_monitoring_report_keeps_the_other_monitors(station):
    await VariableMonitor.objects.acreate(
        station=station,
        monitor_id=9,
        component="Other",
        variable="Kept",
        type="Delta",
        value=1,
        severity=1,
    )
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(cp, station, "get_monitoring_report", {"criteria": ["periodic"]})
        await cp.call(
            call201.NotifyMonitoringReport(
                request_id=command.pk,
                seq_no=0,
                generated_at=T0,
                monitor=[
                    {
                        **POWER,
                        "variable_monitoring": [
                            {
                                "id": 3,
                                "transaction": False,
                                "value": 60,
                                "type": "Periodic",
                                "severity": 8,
                            }
                        ],
                    }
                ],
            ),
            suppress=False,
        )
    assert sorted(m.monitor_id for m in await rows(VariableMonitor, station=station)) == [3, 9]


# --- display messages -----------------------------------------------------------------


async def test_an_accepted_display_message_is_a_row_until_cleared(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(
            cp,
            station,
            "set_display_message",
            {
                "message": "充电愉快",
                "language": "zh",
                "priority": "in_front",
                "state": "charging",
                "start_date_time": "2030-01-01T00:00:00Z",
                "end_date_time": "2030-01-02T00:00:00Z",
            },
        )
        assert command.status == "accepted"
        (message,) = await rows(DisplayMessage, station=station)
        assert message.message_id == command.params["id"]
        assert (message.priority, message.state) == ("InFront", "Charging")
        assert message.starts_at == datetime(2030, 1, 1, tzinfo=UTC)
        assert message.ends_at == datetime(2030, 1, 2, tzinfo=UTC)
        assert message.contents == [{"format": "UTF8", "language": "zh", "content": "充电愉快"}]
        await send(cp, station, "clear_display_message", {"id": message.message_id})
    assert await rows(DisplayMessage, station=station) == []


async def test_a_refused_display_message_leaves_no_row(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(
            cp,
            station,
            "set_display_message",
            {"message": "Hi"},
            {"SetDisplayMessage": {"status": "NotSupportedPriority"}},
        )
    assert command.status == "rejected"
    assert await rows(DisplayMessage, station=station) == []


async def test_reported_display_messages_are_rows_and_unknown_means_none(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(cp, station, "get_display_messages", {})
        await cp.call(
            call201.NotifyDisplayMessages(
                request_id=command.pk,
                message_info=[
                    {
                        "id": 7,
                        "priority": "AlwaysFront",
                        "transaction_id": "TX-9",
                        "message": {"format": "UTF8", "language": "en", "content": "Welcome"},
                    },
                ],
            ),
            suppress=False,
        )
        (message,) = await rows(DisplayMessage, station=station)
        assert (message.message_id, message.priority, message.transaction_id) == (
            7,
            "AlwaysFront",
            "TX-9",
        )
        await send(
            cp, station, "get_display_messages", {}, {"GetDisplayMessages": {"status": "Unknown"}}
        )
    assert await rows(DisplayMessage, station=station) == []


# --- certificates ---------------------------------------------------------------------


def self_signed(name="Test Root") -> tuple[str, dict]:
    """A root certificate in PEM and its OCPP hash data (SHA256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(0x1A2B3C)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    request = (
        ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, hashes.SHA256()).build()
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return pem, {
        "hash_algorithm": "SHA256",
        "issuer_name_hash": request.issuer_name_hash.hex(),
        "issuer_key_hash": request.issuer_key_hash.hex(),
        "serial_number": "1a2b3c",
    }


HASH = {"hash_algorithm": "SHA256", "issuer_name_hash": "aa", "issuer_key_hash": "bb"}


async def test_listed_certificates_replace_those_of_the_types_asked(station):
    await InstalledCertificate.objects.acreate(
        station=station, certificate_type="csms_root_certificate", serial_number="old", **HASH
    )
    await InstalledCertificate.objects.acreate(
        station=station, certificate_type="mo_root_certificate", serial_number="kept", **HASH
    )
    chain = [
        {
            "certificate_type": "CSMSRootCertificate",
            "certificate_hash_data": {**HASH, "serial_number": "01"},
        },
        {
            "certificate_type": "V2GCertificateChain",
            "certificate_hash_data": {**HASH, "serial_number": "02"},
            "child_certificate_hash_data": [{**HASH, "serial_number": "03"}],
        },
    ]
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(
            cp,
            station,
            "get_installed_certificate_ids",
            {"certificate_types": ["csms_root_certificate", "v2g_certificate_chain"]},
            {"GetInstalledCertificateIds": {"certificate_hash_data_chain": chain}},
        )
    assert command.status == "accepted"
    held = {
        c.serial_number: (c.certificate_type, c.parent_id is not None)
        async for c in InstalledCertificate.objects.filter(station=station)
    }
    assert held == {
        "kept": ("mo_root_certificate", False),
        "01": ("csms_root_certificate", False),
        "02": ("v2g_certificate_chain", False),
        "03": ("v2g_certificate_chain", True),
    }


async def test_not_found_means_none_of_the_types_asked(station):
    await InstalledCertificate.objects.acreate(
        station=station, certificate_type="v2g_root_certificate", serial_number="x", **HASH
    )
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        await send(
            cp,
            station,
            "get_installed_certificate_ids",
            {},
            {"GetInstalledCertificateIds": {"status": "NotFound"}},
        )
    assert await rows(InstalledCertificate, station=station) == []


async def test_an_installed_root_is_listed_by_its_hash_data_and_deleted_by_it(station):
    pem, hash_data = self_signed()
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(
            cp,
            station,
            "install_certificate",
            {"certificate_type": "csms_root_certificate", "certificate": pem},
        )
        assert command.status == "accepted"
        (held,) = await rows(InstalledCertificate, station=station)
        assert held.certificate_type == "csms_root_certificate"
        assert {k: getattr(held, k) for k in hash_data} == hash_data
        await send(cp, station, "delete_certificate", hash_data)
    assert await rows(InstalledCertificate, station=station) == []


async def test_a_refused_install_and_a_failed_delete_change_nothing(station):
    pem, hash_data = self_signed()
    await InstalledCertificate.objects.acreate(
        station=station, certificate_type="csms_root_certificate", **hash_data
    )
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        other, _ = self_signed("Other")
        await send(
            cp,
            station,
            "install_certificate",
            {"certificate_type": "v2g_root_certificate", "certificate": other},
            {"InstallCertificate": {"status": "Rejected"}},
        )
        await send(
            cp,
            station,
            "delete_certificate",
            hash_data,
            {"DeleteCertificate": {"status": "Failed"}},
        )
    assert [c.serial_number for c in await rows(InstalledCertificate, station=station)] == [
        "1a2b3c"
    ]


@pytest.mark.station("CP-1", ocpp_version="1.6")
async def test_a_16_station_lists_its_certificates_by_the_neutral_type(station):
    async with station_session(AllCommands16, "ocpp1.6") as (cp, _):
        await booted(cp, "1.6")
        command = await send(
            cp,
            station,
            "get_installed_certificate_ids",
            {"certificate_type": "csms_root_certificate"},
            {
                "GetInstalledCertificateIds": {
                    "certificate_hash_data": [{**HASH, "serial_number": "16"}]
                }
            },
        )
    assert command.ocpp_action == "GetInstalledCertificateIds"
    (held,) = await rows(InstalledCertificate, station=station)
    assert (held.certificate_type, held.serial_number) == ("csms_root_certificate", "16")


# --- customer information -------------------------------------------------------------


async def test_customer_information_parts_are_assembled_per_request(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        command = await send(
            cp, station, "customer_information", {"id_token": "TAG-0001", "report": True}
        )
        parts = [(1, "sessions: 3; ", True), (0, "token TAG-0001; ", True), (2, "cards: 1", False)]
        for number, (seq_no, data, tbc) in enumerate(parts):
            await cp.call(
                call201.NotifyCustomerInformation(
                    data=data, seq_no=seq_no, generated_at=T0, request_id=command.pk, tbc=tbc
                ),
                suppress=False,
            )
            report = await CustomerInformationReport.objects.aget(request_id=command.pk)
            assert report.complete is (number == 2)
    assert report.station_id == station.pk and report.command_id == command.pk
    assert report.text == "token TAG-0001; sessions: 3; cards: 1"
    assert report.generated_at == datetime(2026, 11, 20, 10, tzinfo=UTC)


async def test_a_last_part_before_the_others_leaves_the_report_incomplete(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        await cp.call(
            call201.NotifyCustomerInformation(
                data="end", seq_no=1, generated_at=T0, request_id=555
            ),
            suppress=False,
        )
    report = await CustomerInformationReport.objects.aget(request_id=555)
    assert not report.complete and report.command_id is None and report.text == "end"


# --- device model ---------------------------------------------------------------------


async def test_a_report_keeps_characteristics_and_a_set_keeps_the_value(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        await cp.call(
            call201.NotifyReport(
                request_id=1,
                generated_at=T0,
                seq_no=0,
                report_data=[
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "variable_attribute": [
                            {"value": "300", "persistent": True, "mutability": "ReadWrite"}
                        ],
                        "variable_characteristics": {
                            "data_type": "integer",
                            "unit": "s",
                            "min_limit": 10,
                            "max_limit": 3600,
                            "supports_monitoring": True,
                        },
                    },
                    {
                        "component": {"name": "ChargingStation"},
                        "variable": {"name": "Model"},
                        "variable_attribute": [
                            {"value": "M", "mutability": "ReadOnly", "constant": True}
                        ],
                        "variable_characteristics": {
                            "data_type": "OptionList",
                            "values_list": "M,N",
                            "supports_monitoring": False,
                        },
                    },
                ],
            ),
            suppress=False,
        )
        command = await send(
            cp,
            station,
            "set_variables",
            {"variables": {"OCPPCommCtrlr.HeartbeatInterval": 60}},
        )
        assert command.status == "accepted"
    beat = await DeviceModelVariable.objects.aget(station=station, variable="HeartbeatInterval")
    assert (beat.value, beat.unit, beat.min_limit, beat.max_limit) == ("60", "s", 10, 3600)
    assert (beat.persistent, beat.constant, beat.supports_monitoring) == (True, False, True)
    model = await DeviceModelVariable.objects.aget(station=station, variable="Model")
    assert (model.values_list, model.constant, model.supports_monitoring) == ("M,N", True, False)


# --- pruning cost updates -------------------------------------------------------------


async def test_only_the_last_cost_update_per_transaction_is_kept(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        for total in ("1.00", "2.00", "3.00"):
            await send(cp, station, "cost_updated", {"transaction_id": "TX-1", "total_cost": total})
        await send(cp, station, "cost_updated", {"transaction_id": "TX-2", "total_cost": "5"})
        await send(cp, station, "reset", {"type": "soft"})
        await send(cp, station, "reset", {"type": "soft"})
    kept = [
        (c.action, c.params.get("transaction_id"), c.params.get("total_cost"))
        async for c in Command.objects.order_by("pk")
    ]
    assert kept == [
        ("cost_updated", "TX-1", "3.00"),
        ("cost_updated", "TX-2", "5"),
        ("reset", None, None),
        ("reset", None, None),
    ]
    assert len([a for a, _ in cp.received if a == "CostUpdated"]) == 4


# --- firmware updates -----------------------------------------------------------------

SIGNED_PROGRESS = [
    "DownloadScheduled",
    "Downloading",
    "DownloadFailed",
    "Downloading",
    "Downloaded",
    "InvalidSignature",
]


async def test_a_signed_update_shows_its_progress_and_download_attempts(station):
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        first = await send(cp, station, "update_firmware", {"location": "https://fw/1.bin"})
        command = await send(
            cp,
            station,
            "update_firmware",
            {
                "location": "https://fw/2.bin",
                "install_date": "2030-01-01T00:00:00Z",
                "retries": 2,
                "retry_interval": 30,
                "signing_certificate": "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----",
                "signature": "c2ln",
            },
        )
        for status in SIGNED_PROGRESS:
            await cp.call(
                call201.FirmwareStatusNotification(status=status, request_id=command.pk),
                suppress=False,
            )
        await cp.call(
            call201.FirmwareStatusNotification(status="Installed", request_id=first.pk),
            suppress=False,
        )
    history = await sync_to_async(selectors.firmware_history)(station)
    assert [update.command.pk for update in history] == [command.pk, first.pk]
    latest, earlier = history
    assert [step.status for step in latest.progress] == SIGNED_PROGRESS
    assert latest.signed and latest.attempts == 2 and latest.latest == "InvalidSignature"
    assert latest.params["retries"] == 2 and latest.params["install_date"].startswith("2030")
    assert [step.status for step in earlier.progress] == ["Installed"] and not earlier.signed


@pytest.mark.station("CP-1", ocpp_version="1.6")
async def test_a_16_update_owns_the_statuses_reported_after_it(station):
    async with station_session(AllCommands16, "ocpp1.6") as (cp, _):
        await booted(cp, "1.6")
        first = await send(cp, station, "update_firmware", {"location": "https://fw/1.bin"})
        await cp.call(call16.FirmwareStatusNotification(status="Downloading"), suppress=False)
        second = await send(cp, station, "update_firmware", {"location": "https://fw/2.bin"})
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await cp.call(call16.FirmwareStatusNotification(status=status), suppress=False)
    history = await sync_to_async(selectors.firmware_history)(station)
    assert [(u.command.pk, [s.status for s in u.progress]) for u in history] == [
        (second.pk, ["Downloading", "Downloaded", "Installing", "Installed"]),
        (first.pk, ["Downloading"]),
    ]


async def test_an_empty_report_of_every_monitor_means_none(station):
    await VariableMonitor.objects.acreate(
        station=station,
        monitor_id=9,
        component="Old",
        variable="Gone",
        type="Delta",
        value=1,
        severity=1,
    )
    async with station_session() as (cp, _):
        await booted(cp, "2.0.1")
        filtered = await send(
            cp,
            station,
            "get_monitoring_report",
            {"criteria": ["delta"]},
            {"GetMonitoringReport": {"status": "EmptyResultSet"}},
        )
        assert filtered.status == "accepted"
        assert await VariableMonitor.objects.acount() == 1  # only delta monitors asked for
        await send(cp, station, "get_monitoring_report", {})
    assert await VariableMonitor.objects.acount() == 0


def test_monitor_results_are_matched_to_the_items_they_answer():
    """A station may answer items in another order: the value is the answered item's."""
    evse = {"name": "EVSE", "evse": {"id": 1}}
    request = {
        "setMonitoringData": [
            {
                "value": 10.0,
                "type": "Delta",
                "severity": 5,
                "transaction": True,
                "component": evse,
                "variable": {"name": "Power"},
            },
            {
                "value": 99.0,
                "type": "UpperThreshold",
                "severity": 2,
                "component": {"name": "ChargingStation"},
                "variable": {"name": "Temperature"},
            },
        ]
    }
    response = {
        "setMonitoringResult": [
            {
                "id": 7,
                "status": "Accepted",
                "type": "UpperThreshold",
                "severity": 2,
                "component": {"name": "ChargingStation"},
                "variable": {"name": "Temperature"},
            },
            {
                "status": "Rejected",
                "type": "Delta",
                "severity": 5,
                "component": evse,
                "variable": {"name": "Power"},
            },
        ]
    }
    records = records201.command_records("SetVariableMonitoring", request, response)
    assert records == {
        "monitors_set": [
            {
                "monitor_id": 7,
                "component": "ChargingStation",
                "component_instance": "",
                "evse_id": 0,
                "connector_id": 0,
                "variable": "Temperature",
                "variable_instance": "",
                "type": "UpperThreshold",
                "value": 99.0,
                "severity": 2,
                "transaction": False,
            }
        ]
    }
