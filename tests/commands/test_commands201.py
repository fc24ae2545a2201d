"""Issue 19: every CSMS-initiated 2.0.1 message is a command; what each station received.

Each action goes through `command_send` to an in-process library station, which keeps
the frames as sent (spec field names); the stored outcome follows the answer's status.
1.6 stations get the 1.6 (Security extension) message, or a 400 naming the version.
"""

import json

import pytest
from asgiref.sync import sync_to_async

from stations.commands.service import CommandError, command_send
from stations.models import ChargingStation, Command
from tests.support.charge_points import booted
from tests.support.command_stations import AllCommands16, AllCommands201
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

REQ = "<the command's id>"  # requestId: the command's pk when not given
CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
HASH = {"issuer_name_hash": "a1", "issuer_key_hash": "b2", "serial_number": "0c"}
HASH_SENT = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "a1",
    "issuerKeyHash": "b2",
    "serialNumber": "0c",
}
ITEMS = {"component": {"name": "DeviceDataCtrlr"}, "variable": {"name": "ItemsPerMessage"}}
# action, params, 2.0.1 message, payload the station received
CASES_201 = [
    (
        "get_base_report",
        {"report_base": "configuration_inventory"},
        "GetBaseReport",
        {"requestId": REQ, "reportBase": "ConfigurationInventory"},
    ),
    (
        "get_base_report",
        {"report_base": "SummaryInventory", "request_id": 77},
        "GetBaseReport",
        {"requestId": 77, "reportBase": "SummaryInventory"},
    ),
    (
        "get_report",
        {
            "component_variables": [
                "DeviceDataCtrlr.ItemsPerMessage[GetReport]",
                {"component": "EVSE", "evse_id": 1},
            ],
            "criteria": ["active", "Problem"],
        },
        "GetReport",
        {
            "requestId": REQ,
            "componentVariable": [
                {
                    "component": {"name": "DeviceDataCtrlr"},
                    "variable": {"name": "ItemsPerMessage", "instance": "GetReport"},
                },
                {"component": {"name": "EVSE", "evse": {"id": 1}}},
            ],
            "componentCriteria": ["Active", "Problem"],
        },
    ),
    (
        "set_variables",
        {
            "variables": [
                {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": 60},
                {
                    "component": "DeviceDataCtrlr",
                    "variable": "ItemsPerMessage",
                    "variable_instance": "GetReport",
                    "value": "10",
                    "attribute_type": "actual",
                },
            ]
        },
        "SetVariables",
        {
            "setVariableData": [
                {
                    "attributeValue": "60",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attributeType": "Actual",
                    "attributeValue": "10",
                    "component": {"name": "DeviceDataCtrlr"},
                    "variable": {"name": "ItemsPerMessage", "instance": "GetReport"},
                },
            ]
        },
    ),
    (
        "set_network_profile",
        {
            "configuration_slot": 2,
            "csms_url": "wss://csms.example/ocpp",
            "security_profile": 2,
            "ocpp_interface": "wireless0",
            "apn": {"apn": "internet", "apn_authentication": "AUTO"},
        },
        "SetNetworkProfile",
        {
            "configurationSlot": 2,
            "connectionData": {
                "ocppVersion": "OCPP20",
                "ocppTransport": "JSON",
                "ocppCsmsUrl": "wss://csms.example/ocpp",
                "messageTimeout": 30,
                "securityProfile": 2,
                "ocppInterface": "Wireless0",
                "apn": {"apn": "internet", "apnAuthentication": "AUTO"},
            },
        },
    ),
    (
        "get_transaction_status",
        {"transaction_id": "T-1"},
        "GetTransactionStatus",
        {"transactionId": "T-1"},
    ),
    ("get_transaction_status", {}, "GetTransactionStatus", {}),
    (
        "get_charging_profiles",
        {"connector_id": 1, "purpose": "tx_default", "profile_ids": [3], "sources": ["cso"]},
        "GetChargingProfiles",
        {
            "requestId": REQ,
            "evseId": 1,
            "chargingProfile": {
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileId": [3],
                "chargingLimitSource": ["CSO"],
            },
        },
    ),
    (
        "update_firmware",
        {
            "location": "https://fw.example/2.0.bin",
            "retrieve_date": "2030-01-01T00:00:00Z",
            "install_date": "2030-01-02T00:00:00Z",
            "signing_certificate": CERT,
            "signature": "c2lnbmF0dXJl",
            "retries": 3,
            "retry_interval": 60,
        },
        "UpdateFirmware",
        {
            "requestId": REQ,
            "firmware": {
                "location": "https://fw.example/2.0.bin",
                "retrieveDateTime": "2030-01-01T00:00:00Z",
                "installDateTime": "2030-01-02T00:00:00Z",
                "signingCertificate": CERT,
                "signature": "c2lnbmF0dXJl",
            },
            "retries": 3,
            "retryInterval": 60,
        },
    ),
    (
        "publish_firmware",
        {"location": "https://fw.example/2.0.bin", "checksum": "9e107d9d372bb6826bd81d3542a419d6"},
        "PublishFirmware",
        {
            "location": "https://fw.example/2.0.bin",
            "checksum": "9e107d9d372bb6826bd81d3542a419d6",
            "requestId": REQ,
        },
    ),
    (
        "unpublish_firmware",
        {"checksum": "9e107d9d372bb6826bd81d3542a419d6"},
        "UnpublishFirmware",
        {"checksum": "9e107d9d372bb6826bd81d3542a419d6"},
    ),
    (
        "install_certificate",
        {"certificate_type": "csms_root_certificate", "certificate": CERT},
        "InstallCertificate",
        {"certificateType": "CSMSRootCertificate", "certificate": CERT},
    ),
    (
        "get_installed_certificate_ids",
        {"certificate_types": ["v2g_root_certificate", "ManufacturerRootCertificate"]},
        "GetInstalledCertificateIds",
        {"certificateType": ["V2GRootCertificate", "ManufacturerRootCertificate"]},
    ),
    ("get_installed_certificate_ids", {}, "GetInstalledCertificateIds", {}),
    (
        "delete_certificate",
        HASH,
        "DeleteCertificate",
        {"certificateHashData": HASH_SENT},
    ),
    (
        "certificate_signed",
        {"certificate_chain": CERT, "certificate_type": "charging_station_certificate"},
        "CertificateSigned",
        {"certificateChain": CERT, "certificateType": "ChargingStationCertificate"},
    ),
    (
        "certificate_signed",
        {"certificate_chain": CERT, "certificate_type": "v2g_certificate"},
        "CertificateSigned",
        {"certificateChain": CERT, "certificateType": "V2GCertificate"},
    ),
    (
        "get_log",
        {"log_type": "security", "location": "https://logs.example/", "retries": 1},
        "GetLog",
        {
            "log": {"remoteLocation": "https://logs.example/"},
            "logType": "SecurityLog",
            "requestId": REQ,
            "retries": 1,
        },
    ),
    (
        "get_diagnostics",
        {"log_type": "security", "location": "https://logs.example/"},
        "GetLog",
        {
            "log": {"remoteLocation": "https://logs.example/"},
            "logType": "SecurityLog",
            "requestId": REQ,
        },
    ),
    (
        "set_variable_monitoring",
        {
            "monitors": [
                {"key": "EVSE.Power", "type": "upper_threshold", "value": 7000, "severity": 5},
                {
                    "component": "EVSE",
                    "evse_id": 1,
                    "variable": "Power",
                    "type": "Delta",
                    "value": 100,
                    "severity": 8,
                    "id": 12,
                    "transaction": True,
                },
            ]
        },
        "SetVariableMonitoring",
        {
            "setMonitoringData": [
                {
                    "value": 7000.0,
                    "type": "UpperThreshold",
                    "severity": 5,
                    "component": {"name": "EVSE"},
                    "variable": {"name": "Power"},
                },
                {
                    "id": 12,
                    "transaction": True,
                    "value": 100.0,
                    "type": "Delta",
                    "severity": 8,
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Power"},
                },
            ]
        },
    ),
    (
        "set_monitoring_base",
        {"base": "factory_default"},
        "SetMonitoringBase",
        {"monitoringBase": "FactoryDefault"},
    ),
    ("set_monitoring_level", {"severity": 4}, "SetMonitoringLevel", {"severity": 4}),
    ("clear_variable_monitoring", {"ids": [12, 13]}, "ClearVariableMonitoring", {"id": [12, 13]}),
    (
        "get_monitoring_report",
        {"criteria": ["threshold", "PeriodicMonitoring"], "component_variables": ["EVSE.Power"]},
        "GetMonitoringReport",
        {
            "requestId": REQ,
            "componentVariable": [{"component": {"name": "EVSE"}, "variable": {"name": "Power"}}],
            "monitoringCriteria": ["ThresholdMonitoring", "PeriodicMonitoring"],
        },
    ),
    (
        "customer_information",
        {"id_token": "TAG-0001", "report": True, "clear": True},
        "CustomerInformation",
        {
            "requestId": REQ,
            "report": True,
            "clear": True,
            "idToken": {"idToken": "TAG-0001", "type": "ISO14443"},
        },
    ),
    (
        "customer_information",
        {"customer_identifier": "customer-7", "report": False, "clear": True},
        "CustomerInformation",
        {"requestId": REQ, "report": False, "clear": True, "customerIdentifier": "customer-7"},
    ),
    (
        "set_display_message",
        {
            "id": 3,
            "message": "<b>Willkommen</b>",
            "format": "html",
            "language": "de",
            "priority": "always_front",
            "state": "charging",
            "start_date_time": "2030-01-01T00:00:00Z",
            "end_date_time": "2030-01-02T00:00:00Z",
            "transaction_id": "T-1",
        },
        "SetDisplayMessage",
        {
            "message": {
                "id": 3,
                "priority": "AlwaysFront",
                "state": "Charging",
                "startDateTime": "2030-01-01T00:00:00Z",
                "endDateTime": "2030-01-02T00:00:00Z",
                "transactionId": "T-1",
                "message": {"format": "HTML", "language": "de", "content": "<b>Willkommen</b>"},
            }
        },
    ),
    (
        "get_display_messages",
        {"ids": [3], "priority": "in_front", "state": "idle"},
        "GetDisplayMessages",
        {"requestId": REQ, "id": [3], "priority": "InFront", "state": "Idle"},
    ),
    ("clear_display_message", {"id": 3}, "ClearDisplayMessage", {"id": 3}),
    (
        "get_configuration",
        {"keys": ["DeviceDataCtrlr.ItemsPerMessage[GetReport]"]},
        "GetVariables",
        {
            "getVariableData": [
                {**ITEMS, "variable": {"name": "ItemsPerMessage", "instance": "GetReport"}}
            ]
        },
    ),
    (
        "get_configuration",
        {"report_base": "summary_inventory"},
        "GetBaseReport",
        {"requestId": REQ, "reportBase": "SummaryInventory"},
    ),
]


def _with_command_id(payload, pk):
    if isinstance(payload, dict):
        return {k: _with_command_id(v, pk) for k, v in payload.items()}
    return pk if payload == REQ else payload


async def _send(station, client, label, action, params, replies=None):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=f"ocpp{label}", station_class=client
    ) as (cp, _):
        await booted(cp, label)
        cp.replies.update(replies or {})
        for message, fields in (replies or {}).items():  # Station201's own handlers
            if "status" in fields:
                cp.answer[message] = fields["status"]
        cp.frames.clear()  # the boot's own frames are answers, but keep it exact
        command = await command_send(station, action, params, timeout=5)
    return cp, command


@pytest.mark.parametrize(
    ("action", "params", "message", "sent"),
    CASES_201,
    ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES_201)],
)
async def test_every_201_message_reaches_the_station_as_the_spec_spells_it(
    station, action, params, message, sent
):
    cp, command = await _send(station, AllCommands201, "2.0.1", action, params)
    assert command.status == "accepted", (command.error, command.response)
    assert command.ocpp_action == message
    assert cp.frames == [(message, _with_command_id(sent, command.pk))]
    saved = await Command.objects.aget(pk=command.pk)
    assert saved.status == "accepted" and saved.response == command.response


# --- what each answer means -----------------------------------------------------------

# action, params, message, the station's answer (over the usual one), stored outcome
OUTCOMES = [
    (
        "update_firmware",
        {"location": "https://fw/"},
        "UpdateFirmware",
        "AcceptedCanceled",
        "accepted",
    ),
    (
        "update_firmware",
        {"location": "https://fw/"},
        "UpdateFirmware",
        "InvalidCertificate",
        "rejected",
    ),
    (
        "update_firmware",
        {"location": "https://fw/"},
        "UpdateFirmware",
        "RevokedCertificate",
        "rejected",
    ),
    ("get_log", {"location": "https://up/"}, "GetLog", "AcceptedCanceled", "accepted"),
    ("get_log", {"location": "https://up/"}, "GetLog", "Rejected", "rejected"),
    ("get_display_messages", {}, "GetDisplayMessages", "Unknown", "accepted"),
    ("get_installed_certificate_ids", {}, "GetInstalledCertificateIds", "NotFound", "accepted"),
    ("get_charging_profiles", {}, "GetChargingProfiles", "NoProfiles", "accepted"),
    ("get_report", {}, "GetReport", "EmptyResultSet", "accepted"),
    ("get_report", {}, "GetReport", "NotSupported", "rejected"),
    ("get_base_report", {}, "GetBaseReport", "NotSupported", "rejected"),
    ("get_monitoring_report", {}, "GetMonitoringReport", "EmptyResultSet", "accepted"),
    ("unpublish_firmware", {"checksum": "0" * 32}, "UnpublishFirmware", "Unpublished", "accepted"),
    (
        "unpublish_firmware",
        {"checksum": "0" * 32},
        "UnpublishFirmware",
        "DownloadOngoing",
        "rejected",
    ),
    ("unpublish_firmware", {"checksum": "0" * 32}, "UnpublishFirmware", "NoFirmware", "rejected"),
    ("delete_certificate", HASH, "DeleteCertificate", "NotFound", "rejected"),
    ("delete_certificate", HASH, "DeleteCertificate", "Failed", "rejected"),
    (
        "install_certificate",
        {"certificate_type": "mo_root_certificate", "certificate": CERT},
        "InstallCertificate",
        "Failed",
        "rejected",
    ),
    (
        "certificate_signed",
        {"certificate_chain": CERT},
        "CertificateSigned",
        "Rejected",
        "rejected",
    ),
    (
        "set_network_profile",
        {"configuration_slot": 1, "csms_url": "wss://x/", "security_profile": 1},
        "SetNetworkProfile",
        "Failed",
        "rejected",
    ),
    (
        "customer_information",
        {"customer_identifier": "c"},
        "CustomerInformation",
        "Invalid",
        "rejected",
    ),
    (
        "set_display_message",
        {"id": 1, "message": "hi"},
        "SetDisplayMessage",
        "NotSupportedPriority",
        "rejected",
    ),
    (
        "set_display_message",
        {"id": 1, "message": "hi"},
        "SetDisplayMessage",
        "UnknownTransaction",
        "rejected",
    ),
    ("clear_display_message", {"id": 1}, "ClearDisplayMessage", "Unknown", "rejected"),
    ("set_monitoring_base", {"base": "all"}, "SetMonitoringBase", "NotSupported", "rejected"),
    ("set_monitoring_level", {"severity": 9}, "SetMonitoringLevel", "Rejected", "rejected"),
    (
        "publish_firmware",
        {"location": "https://fw/", "checksum": "0" * 32},
        "PublishFirmware",
        "Rejected",
        "rejected",
    ),
]


@pytest.mark.parametrize(
    ("action", "params", "message", "answer", "outcome"),
    OUTCOMES,
    ids=[f"{c[2]}-{c[3]}" for c in OUTCOMES],
)
async def test_every_answer_status_maps_to_its_outcome(
    station, action, params, message, answer, outcome
):
    _, command = await _send(
        station, AllCommands201, "2.0.1", action, params, {message: {"status": answer}}
    )
    assert command.status == outcome, command.error
    assert command.response["status"] == answer  # the full answer is kept


async def test_transaction_status_has_no_status_and_is_accepted(station):
    _, command = await _send(
        station,
        AllCommands201,
        "2.0.1",
        "get_transaction_status",
        {"transaction_id": "T-1"},
        {"GetTransactionStatus": {"ongoing_indicator": True, "messages_in_queue": True}},
    )
    assert command.status == "accepted"
    assert command.response == {"ongoingIndicator": True, "messagesInQueue": True}


@pytest.mark.parametrize(
    ("action", "params", "message", "per_item", "outcome"),
    [
        (
            "set_variable_monitoring",
            {"monitors": [{"key": "EVSE.Power", "type": "delta", "value": 1, "severity": 1}]},
            "SetVariableMonitoring",
            "Accepted",
            "accepted",
        ),
        (
            "set_variable_monitoring",
            {"monitors": [{"key": "EVSE.Power", "type": "delta", "value": 1, "severity": 1}]},
            "SetVariableMonitoring",
            "UnsupportedMonitorType",
            "rejected",
        ),
        (
            "set_variable_monitoring",
            {"monitors": [{"key": "EVSE.Power", "type": "delta", "value": 1, "severity": 1}]},
            "SetVariableMonitoring",
            "Duplicate",
            "rejected",
        ),
        (
            "clear_variable_monitoring",
            {"ids": [1, 2]},
            "ClearVariableMonitoring",
            "Accepted",
            "accepted",
        ),
        (
            "clear_variable_monitoring",
            {"ids": [1]},
            "ClearVariableMonitoring",
            "NotFound",
            "rejected",
        ),
        (
            "set_variables",
            {"variables": {"OCPPCommCtrlr.HeartbeatInterval": 30}},
            "SetVariables",
            "RebootRequired",
            "accepted",
        ),
        (
            "set_variables",
            {"variables": {"OCPPCommCtrlr.HeartbeatInterval": 30}},
            "SetVariables",
            "UnknownVariable",
            "rejected",
        ),
    ],
)
async def test_answers_per_item_are_accepted_only_if_every_item_is(
    station, action, params, message, per_item, outcome
):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=AllCommands201
    ) as (cp, _):
        await booted(cp, "2.0.1")
        cp.answer[message] = per_item
        command = await command_send(station, action, params, timeout=5)
    assert command.status == outcome, command.error
    key = {"SetVariables": "setVariableResult", "SetVariableMonitoring": "setMonitoringResult"}
    results = command.response[key.get(message, "clearMonitoringResult")]
    assert {r.get("attributeStatus", r.get("status")) for r in results} == {per_item}


# --- 1.6 stations ------------------------------------------------------------------------

# action, params, 1.6 message, payload the station received
CASES_16 = [
    (
        "get_log",
        {"log_type": "security", "location": "https://logs.example/"},
        "GetLog",
        {
            "log": {"remoteLocation": "https://logs.example/"},
            "logType": "SecurityLog",
            "requestId": REQ,
        },
    ),
    (
        "get_log",
        {"location": "https://logs.example/", "start_time": "2030-01-01T00:00:00Z"},
        "GetLog",
        {
            "log": {
                "remoteLocation": "https://logs.example/",
                "oldestTimestamp": "2030-01-01T00:00:00Z",
            },
            "logType": "DiagnosticsLog",
            "requestId": REQ,
        },
    ),
    (
        "get_diagnostics",
        {"log_type": "security", "location": "https://logs.example/"},
        "GetLog",
        {
            "log": {"remoteLocation": "https://logs.example/"},
            "logType": "SecurityLog",
            "requestId": REQ,
        },
    ),
    (
        "get_diagnostics",
        {"location": "https://logs.example/"},
        "GetDiagnostics",
        {"location": "https://logs.example/"},
    ),
    (
        "update_firmware",
        {
            "location": "https://fw.example/2.0.bin",
            "retrieve_date": "2030-01-01T00:00:00Z",
            "install_date": "2030-01-02T00:00:00Z",
            "signing_certificate": CERT,
            "signature": "c2ln",
        },
        "SignedUpdateFirmware",
        {
            "requestId": REQ,
            "firmware": {
                "location": "https://fw.example/2.0.bin",
                "retrieveDateTime": "2030-01-01T00:00:00Z",
                "installDateTime": "2030-01-02T00:00:00Z",
                "signingCertificate": CERT,
                "signature": "c2ln",
            },
        },
    ),
    (
        "update_firmware",
        {"location": "https://fw.example/2.0.bin", "retrieve_date": "2030-01-01T00:00:00Z"},
        "UpdateFirmware",
        {"location": "https://fw.example/2.0.bin", "retrieveDate": "2030-01-01T00:00:00Z"},
    ),
    (
        "install_certificate",
        {"certificate_type": "csms_root_certificate", "certificate": CERT},
        "InstallCertificate",
        {"certificateType": "CentralSystemRootCertificate", "certificate": CERT},
    ),
    (
        "get_installed_certificate_ids",
        {"certificate_type": "manufacturer_root_certificate"},
        "GetInstalledCertificateIds",
        {"certificateType": "ManufacturerRootCertificate"},
    ),
    ("delete_certificate", HASH, "DeleteCertificate", {"certificateHashData": HASH_SENT}),
    (
        "certificate_signed",
        {"certificate_chain": CERT},
        "CertificateSigned",
        {"certificateChain": CERT},
    ),
    # OCA's Plug & Charge for 1.6: the V2G certificate in a DataTransfer.
    (
        "certificate_signed",
        {"certificate_chain": CERT, "certificate_type": "v2g_certificate"},
        "DataTransfer",
        {
            "vendorId": "org.openchargealliance.iso15118pnc",
            "messageId": "CertificateSigned",
            "data": json.dumps({"certificateChain": CERT, "certificateType": "V2GCertificate"}),
        },
    ),
]


@pytest.mark.parametrize(
    ("action", "params", "message", "sent"),
    CASES_16,
    ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES_16)],
)
async def test_16_stations_get_the_security_extension_message(
    station, action, params, message, sent
):
    cp, command = await _send(station, AllCommands16, "1.6", action, params)
    assert command.status == "accepted", (command.error, command.response)
    assert command.ocpp_action == message
    assert cp.frames == [(message, _with_command_id(sent, command.pk))]


@pytest.mark.parametrize(
    ("message", "answer", "outcome"),
    [
        ("GetLog", "AcceptedCanceled", "accepted"),
        ("GetInstalledCertificateIds", "NotFound", "accepted"),
        ("SignedUpdateFirmware", "AcceptedCanceled", "accepted"),
        ("SignedUpdateFirmware", "InvalidCertificate", "rejected"),
    ],
)
async def test_16_security_answers_map_like_201(station, message, answer, outcome):
    action, params = {
        "GetLog": ("get_log", {"location": "https://up/"}),
        "GetInstalledCertificateIds": (
            "get_installed_certificate_ids",
            {"certificate_type": "csms_root_certificate"},
        ),
        "SignedUpdateFirmware": (
            "update_firmware",
            {"location": "https://fw/", "signing_certificate": CERT, "signature": "c2ln"},
        ),
    }[message]
    _, command = await _send(
        station, AllCommands16, "1.6", action, params, {message: {"status": answer}}
    )
    assert command.status == outcome


NOT_IN_16 = [
    ("get_base_report", {}),
    ("get_report", {}),
    ("set_variables", {"variables": {"A.B": 1}}),
    (
        "set_network_profile",
        {"configuration_slot": 1, "csms_url": "wss://x/", "security_profile": 1},
    ),
    ("get_transaction_status", {"transaction_id": "1"}),
    ("get_charging_profiles", {}),
    ("publish_firmware", {"location": "https://fw/", "checksum": "0" * 32}),
    ("unpublish_firmware", {"checksum": "0" * 32}),
    ("set_variable_monitoring", {}),
    ("set_monitoring_base", {"base": "all"}),
    ("set_monitoring_level", {"severity": 1}),
    ("clear_variable_monitoring", {"ids": [1]}),
    ("get_monitoring_report", {}),
    ("customer_information", {"customer_identifier": "c"}),
    ("set_display_message", {"message": "hi"}),
    ("get_display_messages", {}),
    ("clear_display_message", {"id": 1}),
]


@pytest.mark.parametrize(("action", "params"), NOT_IN_16, ids=[c[0] for c in NOT_IN_16])
async def test_the_api_answers_400_naming_the_version_for_16_stations(
    station, api_client, action, params
):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(ocpp_version="1.6")
    response = await sync_to_async(api_client.post)(
        "/api/v1/stations/CP-1/commands/", {"action": action, "params": params}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert "not available for OCPP 1.6 stations" in body["detail"]
    assert body["errors"]["action"] == ["Not available for OCPP 1.6 stations."]
    assert not await Command.objects.aexists()


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        (
            "install_certificate",
            {"certificate_type": "v2g_root_certificate", "certificate": CERT},
            "certificate_type",
        ),
        (
            "update_firmware",
            {"location": "https://fw/", "install_date": "2030-01-01T00:00:00Z"},
            "install_date",
        ),
        ("get_installed_certificate_ids", {}, "certificate_type"),
    ],
)
async def test_16_refuses_what_its_messages_cannot_carry(station, action, params, field):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(ocpp_version="1.6")
    with pytest.raises(CommandError) as error:
        await command_send(station, action, params)
    assert field in error.value.errors
    assert not await Command.objects.aexists()


# --- checked before sending ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "params", "field"),
    [
        ("get_base_report", {"report_base": "everything"}, "report_base"),
        ("get_report", {"criteria": ["broken"]}, "criteria"),
        ("set_variables", {}, "variables"),
        ("set_variables", {"variables": [{"key": "NoDot", "value": 1}]}, "variables.0.key"),
        ("set_variables", {"variables": [{"key": "A.B"}]}, "variables.0.value"),
        ("set_network_profile", {"configuration_slot": 1, "security_profile": 1}, "csms_url"),
        (
            "set_network_profile",
            {"csms_url": "wss://x/", "security_profile": 1},
            "configuration_slot",
        ),
        ("get_charging_profiles", {"purpose": "cheap"}, "purpose"),
        ("publish_firmware", {"location": "https://fw/"}, "checksum"),
        (
            "install_certificate",
            {"certificate_type": "any", "certificate": CERT},
            "certificate_type",
        ),
        ("install_certificate", {"certificate_type": "csms_root_certificate"}, "certificate"),
        ("delete_certificate", {"issuer_name_hash": "a"}, "issuer_key_hash"),
        ("delete_certificate", {**HASH, "hash_algorithm": "MD5"}, "hash_algorithm"),
        ("certificate_signed", {}, "certificate_chain"),
        ("get_log", {"location": "https://up/", "log_type": "kernel"}, "log_type"),
        (
            "update_firmware",
            {"location": "https://fw/", "signature": "c2ln"},
            "signing_certificate",
        ),
        (
            "set_variable_monitoring",
            {"monitors": [{"key": "EVSE.Power", "type": "delta", "value": 1}]},
            "monitors.0.severity",
        ),
        (
            "set_variable_monitoring",
            {"monitors": [{"key": "EVSE.Power", "type": "often", "value": 1, "severity": 1}]},
            "type",
        ),
        (
            "set_variable_monitoring",
            {"monitors": [{"key": "EVSE.Power", "type": "delta", "value": 1, "severity": 10}]},
            "monitors.0.severity",
        ),
        ("set_monitoring_base", {"base": "some"}, "base"),
        ("set_monitoring_level", {}, "severity"),
        ("set_monitoring_level", {"severity": 12}, "severity"),
        ("clear_variable_monitoring", {}, "ids"),
        ("get_monitoring_report", {"criteria": ["sometimes"]}, "criteria"),
        ("customer_information", {"report": True}, "customer_identifier"),
        ("customer_information", {"customer_identifier": "c", "report": False}, "report"),
        ("set_display_message", {"id": 1}, "message"),
        ("set_display_message", {"id": 1, "message": "hi", "priority": "urgent"}, "priority"),
        ("set_display_message", {"id": 1, "message": "hi", "format": "pdf"}, "format"),
        (
            "set_display_message",
            {"id": 1, "messages": [{"content": "a"}, {"content": "b"}]},
            "messages",
        ),
        ("get_display_messages", {"state": "asleep"}, "state"),
        ("clear_display_message", {}, "id"),
    ],
)
async def test_bad_parameters_are_refused_before_sending(station, action, params, field):
    await ChargingStation.objects.filter(pk=station.pk).aupdate(ocpp_version="2.0.1")
    with pytest.raises(CommandError) as error:
        await command_send(station, action, params)
    assert field in error.value.errors, error.value.errors
    assert not await Command.objects.aexists()


async def test_display_message_ids_are_given_when_omitted(station):
    cp, first = await _send(
        station, AllCommands201, "2.0.1", "set_display_message", {"message": "a"}
    )
    assert first.params["id"] == 1 and cp.frames[0][1]["message"]["id"] == 1
    cp, second = await _send(
        station, AllCommands201, "2.0.1", "set_display_message", {"message": "b"}
    )
    assert second.params["id"] == 2 and cp.frames[0][1]["message"]["id"] == 2


async def test_secrets_of_new_commands_are_not_stored(station):
    _, command = await _send(
        station,
        AllCommands201,
        "2.0.1",
        "set_variables",
        {"variables": {"SecurityCtrlr.BasicAuthPassword": "s3cret-s3cret-s3cret"}},
    )
    assert "s3cret" not in str(command.params)
    _, command = await _send(
        station,
        AllCommands201,
        "2.0.1",
        "set_network_profile",
        {
            "configuration_slot": 1,
            "csms_url": "wss://x/",
            "security_profile": 1,
            "apn": {"apn": "internet", "apn_authentication": "PAP", "apn_password": "apn-pw"},
        },
    )
    assert command.status == "accepted" and "apn-pw" not in str(command.params)
