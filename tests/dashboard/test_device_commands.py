"""The station page's forms for the 2.0.1 commands: each post reaches a station.

A library 2.0.1 station (tests/support/command_stations.py) is connected; the form is
posted with the test client as an operator would; the station received the message
with the fields the form asked for, and the page shows what the answer left.
"""

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from stations.models import Command, DisplayMessage, InstalledCertificate, VariableMonitor
from tests.support.charge_points import booted
from tests.support.command_stations import AllCommands201
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.django_db(transaction=True)]

HASH = {"hashAlgorithm": "SHA256", "issuerNameHash": "aa", "issuerKeyHash": "bb"}

# action, form fields (without the prefix), the message, fields it must carry
FORMS = [
    (
        "get_base_report",
        {"report_base": "summary_inventory"},
        "GetBaseReport",
        {"reportBase": "SummaryInventory"},
    ),
    (
        "get_report",
        {
            "component_variables": "EVSE, DeviceDataCtrlr.ItemsPerMessage[GetReport]",
            "criteria": ["problem"],
        },
        "GetReport",
        {
            "componentCriteria": ["Problem"],
            "componentVariable": [
                {"component": {"name": "EVSE"}},
                {
                    "component": {"name": "DeviceDataCtrlr"},
                    "variable": {"name": "ItemsPerMessage", "instance": "GetReport"},
                },
            ],
        },
    ),
    (
        "set_variables",
        {"variables": "OCPPCommCtrlr.HeartbeatInterval = 60\nEVSE.Power@1 = 11000"},
        "SetVariables",
        {
            "setVariableData": [
                {
                    "attributeValue": "60",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attributeValue": "11000",
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Power"},
                },
            ]
        },
    ),
    (
        "set_variable_monitoring",
        {
            "key": "EVSE.Power@1",
            "type": "upper_threshold",
            "value": "22000",
            "severity": "3",
            "transaction": "on",
        },
        "SetVariableMonitoring",
        {
            "setMonitoringData": [
                {
                    "value": 22000.0,
                    "type": "UpperThreshold",
                    "severity": 3,
                    "transaction": True,
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Power"},
                }
            ]
        },
    ),
    ("clear_variable_monitoring", {"ids": "4, 5"}, "ClearVariableMonitoring", {"id": [4, 5]}),
    (
        "get_monitoring_report",
        {"component_variables": "EVSE.Power", "criteria": ["threshold", "periodic"]},
        "GetMonitoringReport",
        {"monitoringCriteria": ["ThresholdMonitoring", "PeriodicMonitoring"]},
    ),
    (
        "set_monitoring_base",
        {"base": "factory_default"},
        "SetMonitoringBase",
        {"monitoringBase": "FactoryDefault"},
    ),
    ("set_monitoring_level", {"severity": "4"}, "SetMonitoringLevel", {"severity": 4}),
    (
        "get_display_messages",
        {"ids": "2", "priority": "in_front", "state": "idle"},
        "GetDisplayMessages",
        {"id": [2], "priority": "InFront", "state": "Idle"},
    ),
    ("clear_display_message", {"id": "2"}, "ClearDisplayMessage", {"id": 2}),
    (
        "get_installed_certificate_ids",
        {"certificate_types": ["csms_root_certificate", "v2g_certificate_chain"]},
        "GetInstalledCertificateIds",
        {"certificateType": ["CSMSRootCertificate", "V2GCertificateChain"]},
    ),
    (
        "install_certificate",
        {
            "certificate_type": "mo_root_certificate",
            "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        },
        "InstallCertificate",
        {"certificateType": "MORootCertificate"},
    ),
    (
        "delete_certificate",
        {
            "hash_algorithm": "SHA256",
            "issuer_name_hash": "aa",
            "issuer_key_hash": "bb",
            "serial_number": "0c",
        },
        "DeleteCertificate",
        {"certificateHashData": {**HASH, "serialNumber": "0c"}},
    ),
    (
        "get_log",
        {"log_type": "security", "location": "https://up.example/logs"},
        "GetLog",
        {"logType": "SecurityLog", "log": {"remoteLocation": "https://up.example/logs"}},
    ),
    (
        "customer_information",
        {"id_token": "TAG-0001", "report": "on", "clear": "on"},
        "CustomerInformation",
        {"report": True, "clear": True, "idToken": {"idToken": "TAG-0001", "type": "ISO14443"}},
    ),
    (
        "set_network_profile",
        {
            "configuration_slot": "2",
            "csms_url": "wss://csms.example/ocpp",
            "security_profile": "2",
            "ocpp_version": "OCPP20",
            "ocpp_interface": "Wireless0",
            "message_timeout": "30",
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
            },
        },
    ),
    (
        "update_firmware",
        {
            "location": "https://fw.example/v2.bin",
            "install_date": "2030-01-02T03:04",
            "retries": "3",
            "retry_interval": "60",
            "signing_certificate": "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----",
            "signature": "c2lnbmF0dXJl",
        },
        "UpdateFirmware",
        {
            "retries": 3,
            "retryInterval": 60,
            "firmware": {
                "location": "https://fw.example/v2.bin",
                "installDateTime": "2030-01-02T03:04:00.000Z",
                "signingCertificate": "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----",
                "signature": "c2lnbmF0dXJl",
            },
        },
    ),
    (
        "publish_firmware",
        {
            "location": "https://fw.example/v2.bin",
            "checksum": "d41d8cd98f00b204e9800998ecf8427e",
            "retries": "2",
        },
        "PublishFirmware",
        {
            "location": "https://fw.example/v2.bin",
            "checksum": "d41d8cd98f00b204e9800998ecf8427e",
            "retries": 2,
        },
    ),
    (
        "unpublish_firmware",
        {"checksum": "d41d8cd98f00b204e9800998ecf8427e"},
        "UnpublishFirmware",
        {"checksum": "d41d8cd98f00b204e9800998ecf8427e"},
    ),
    (
        "get_transaction_status",
        {"transaction_id": "TX-7"},
        "GetTransactionStatus",
        {"transactionId": "TX-7"},
    ),
    ("get_transaction_status", {}, "GetTransactionStatus", {}),
]


def contains(sent, expected) -> bool:
    """Whether `sent` carries every field of `expected` (nested objects alike)."""
    if isinstance(expected, dict):
        return isinstance(sent, dict) and all(
            k in sent and contains(sent[k], v) for k, v in expected.items()
        )
    return sent == expected


def post(client, station, action: str, fields: dict):
    data = {f"{action}-{name}": value for name, value in fields.items()}
    url = reverse("dashboard:station-command", args=[station.station_id, action])
    return client.post(url, data, HTTP_ACCEPT="application/json")


post_async = sync_to_async(post, thread_sensitive=False)


def station_201():
    return connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=AllCommands201
    )


@pytest.mark.protocol
@pytest.mark.parametrize(
    ("action", "fields", "message", "carried"),
    FORMS,
    ids=[f"{f[0]}-{n}" for n, f in enumerate(FORMS)],
)
async def test_each_form_sends_its_command(
    operator_client, station, action, fields, message, carried
):
    async with station_201() as (cp, _):
        await booted(cp, "2.0.1")
        cp.frames.clear()
        response = await post_async(operator_client, station, action, fields)
    outcome = response.json()
    assert response.status_code == 200, outcome
    assert outcome["status"] == "accepted", outcome
    ((sent_message, payload),) = cp.frames
    assert sent_message == message
    assert contains(payload, carried), payload
    command = await Command.objects.aget(pk=outcome["command"])
    assert command.action == action and command.requested_by_id is not None


@pytest.mark.protocol
async def test_a_message_in_two_languages_is_two_messages_and_two_rows(operator_client, station):
    fields = {
        "priority": "always_front",
        "state": "charging",
        "start_date_time": "2030-05-01T08:00",
        "end_date_time": "2030-05-02T08:00",
        "language_1": "en",
        "content_1": "Welcome",
        "language_2": "zh",
        "content_2": "欢迎",
        "language_3": "",
        "content_3": "",
    }
    async with station_201() as (cp, _):
        await booted(cp, "2.0.1")
        cp.frames.clear()
        response = await post_async(operator_client, station, "set_display_message", fields)
    assert response.json()["status"] == "accepted"
    sent = [payload["message"] for action, payload in cp.frames]
    assert [m["message"] for m in sent] == [
        {"format": "UTF8", "language": "en", "content": "Welcome"},
        {"format": "UTF8", "language": "zh", "content": "欢迎"},
    ]
    assert {m["priority"] for m in sent} == {"AlwaysFront"} and sent[0]["id"] != sent[1]["id"]
    assert sent[0]["startDateTime"] == "2030-05-01T08:00:00.000Z"
    messages = [m async for m in DisplayMessage.objects.order_by("message_id")]
    assert [m.contents[0]["content"] for m in messages] == ["Welcome", "欢迎"]
    page = await sync_to_async(operator_client.get, thread_sensitive=False)(
        reverse("dashboard:station", args=[station.station_id])
    )
    html = page.content.decode()
    assert "欢迎" in html and 'data-fill-command="clear_display_message"' in html


@pytest.mark.parametrize(
    ("action", "fields", "field"),
    [
        ("set_display_message", {"priority": "normal_cycle"}, "__all__"),
        ("set_variables", {"variables": "no equals sign"}, "variables"),
        (
            "set_variable_monitoring",
            {"key": "EVSE.Power@x", "type": "delta", "value": "1", "severity": "1"},
            "key",
        ),
        ("clear_variable_monitoring", {"ids": "1, two"}, "ids"),
        ("customer_information", {"report": "on"}, "__all__"),
        ("set_monitoring_level", {"severity": "10"}, "severity"),
    ],
)
def test_a_bad_form_sends_nothing(operator_client, station, action, fields, field):
    response = post(operator_client, station, action, fields)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Command.objects.exists()


@pytest.mark.protocol
@pytest.mark.station("CP-1", ocpp_version="1.6")
def test_a_16_station_gets_the_version_named_in_the_refusal(operator_client, station):
    response = post(
        operator_client,
        station,
        "set_display_message",
        {"priority": "normal_cycle", "content_1": "Hi"},
    )
    assert response.status_code == 400
    assert "1.6" in str(response.json()["errors"])


def test_the_station_page_shows_what_the_station_holds(operator_client, station):
    VariableMonitor.objects.create(
        station=station,
        monitor_id=12,
        component="EVSE",
        evse_id=1,
        variable="Power",
        type="UpperThreshold",
        value=22000,
        severity=3,
    )
    InstalledCertificate.objects.create(
        station=station,
        certificate_type="csms_root_certificate",
        hash_algorithm="SHA256",
        issuer_name_hash="aa",
        issuer_key_hash="bb",
        serial_number="0c",
    )
    Command.objects.create(
        station=station,
        action="update_firmware",
        status="accepted",
        params={
            "location": "https://fw.example/v2.bin",
            "retries": 3,
            "retry_interval": 60,
            "signing_certificate": "PEM",
            "signature": "sig",
        },
    )
    command = Command.objects.get()
    for status in (
        "Downloading",
        "DownloadFailed",
        "Downloading",
        "Downloaded",
        "InvalidSignature",
    ):
        station.events.create(kind="FirmwareStatus", status=status, data={"request_id": command.pk})
    html = operator_client.get(reverse("dashboard:station", args=[station.station_id]))
    html = html.content.decode()
    assert 'data-field-ids="12"' in html
    assert 'data-field-serial_number="0c"' in html
    row = html.split(f'data-firmware-update="{command.pk}"')[1].split("</tr>")[0]
    assert "InvalidSignature" in row and "DownloadFailed" in row and "signed" in row
    assert "2 downloads" in row and "3 / 60 s" in row


def test_the_device_model_page_filters_by_component(operator_client, station):
    station.device_model.create(
        component="OCPPCommCtrlr",
        variable="HeartbeatInterval",
        value="300",
        unit="s",
        data_type="integer",
        min_limit=10,
    )
    station.device_model.create(
        component="EVSE", evse_id=1, variable="Power", value="22000", mutability="ReadOnly"
    )
    VariableMonitor.objects.create(
        station=station,
        monitor_id=12,
        component="EVSE",
        evse_id=1,
        variable="Power",
        type="UpperThreshold",
        value=22000,
        severity=3,
    )
    url = reverse("dashboard:station-device-model", args=[station.station_id])
    everything = operator_client.get(url).content.decode()
    assert "HeartbeatInterval" in everything and "#12 UpperThreshold" in everything
    only_evse = operator_client.get(url, {"component": "EVSE"}).content.decode()
    assert 'data-component="OCPPCommCtrlr"' in everything
    assert 'data-component="OCPPCommCtrlr"' not in only_evse
    assert "#12 UpperThreshold" in only_evse
    assert 'data-field-key="EVSE.Power@1"' in only_evse
    assert 'action="/stations/CP-1/commands/set_variables/"' in only_evse
