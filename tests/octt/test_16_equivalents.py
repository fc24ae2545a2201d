"""The 1.6 equivalents: configuration keys, (secure) firmware update, triggers.

OCPP 1.6 CSMS cases TC_019_1 (retrieve all configuration keys), TC_021 (change a
key), TC_040_1 (a key the station does not support), TC_080 / TC_081 (secure
firmware update, and with an invalid signature: SignedUpdateFirmware and the
SignedFirmwareStatusNotifications), TC_054 (TriggerMessage); ExtendedTriggerMessage
follows the 1.6 Security extension (no OCTT text at hand). The 2.0.1 side of the same
parameters: TC_B_07_CSMS (GetVariables of two variables).
"""

import pytest
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as r16

from stations.models import ChargingStation, DeviceModelVariable, StationEvent
from tests.support.command_stations import AllCommands16
from tests.support.octt import only, sent, station_on

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

CERT = "-----BEGIN CERTIFICATE-----\nMIIBfirmwareSigner\n-----END CERTIFICATE-----"
SIGNATURE = "c2lnbmF0dXJl"
LOCATION = "ftp://firmware.example.com/cp-16.bin"


class TriggeredStation(AllCommands16):
    """Answers ExtendedTriggerMessage (the Security extension) too."""

    @on("ExtendedTriggerMessage")
    def extended_trigger_message(self, **kw):
        return r16.ExtendedTriggerMessage(status=self.got("ExtendedTriggerMessage", kw))


async def test_TC_019_1_CSMS(operator):
    """Retrieve all configuration keys: GetConfiguration without keys; the keys the
    station reports are kept."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command("CP-16", "get_configuration")
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "GetConfiguration") == {}
    rows = DeviceModelVariable.objects.filter(station__station_id="CP-16")
    kept = {row.variable: row.value async for row in rows}
    assert kept == {"HeartbeatInterval": "300", "NumberOfConnectors": "2"}


async def test_TC_021_CSMS(operator):
    """Change/set Configuration: key MeterValueSampleInterval, value 60 (a string)."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command(
            "CP-16", "set_configuration", key="MeterValueSampleInterval", value=60
        )
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "ChangeConfiguration") == {"key": "MeterValueSampleInterval", "value": "60"}


async def test_TC_021_CSMS_same_parameters_for_201(operator):
    """The same parameters to a 2.0.1 station: SetVariables of the standardized variable."""
    async with station_on(operator.address) as cp:
        _, command = await operator.command(
            "CP-1", "set_configuration", key="MeterValueSampleInterval", value=60
        )
    assert command["status"] == "accepted"
    assert only(cp, "SetVariables")["setVariableData"] == [
        {
            "attributeValue": "60",
            "component": {"name": "SampledDataCtrlr"},
            "variable": {"name": "TxUpdatedInterval"},
        }
    ]


async def test_TC_040_1_CSMS(operator):
    """Configuration keys - NotSupported: the station's answer stored as rejected."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        cp.answer["ChangeConfiguration"] = "NotSupported"
        _, command = await operator.command(
            "CP-16", "set_configuration", key="VendorSpecificKey", value="1"
        )
    assert command["status"] == "rejected"
    assert command["response"] == {"status": "NotSupported"}


async def test_TC_B_07_CSMS(operator):
    """Get Variables - multiple values: OCPPCommCtrlr.OfflineThreshold and
    AuthCtrlr.AuthorizeRemoteStart in one GetVariablesRequest; the values kept."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "get_configuration",
            keys=["OCPPCommCtrlr.OfflineThreshold", "AuthCtrlr.AuthorizeRemoteStart"],
        )
    assert status == 201 and command["status"] == "accepted"
    data = only(cp, "GetVariables")["getVariableData"]
    assert [(d["component"]["name"], d["variable"]["name"]) for d in data] == [
        ("OCPPCommCtrlr", "OfflineThreshold"),
        ("AuthCtrlr", "AuthorizeRemoteStart"),
    ]
    assert all(d.get("attributeType", "Actual") == "Actual" for d in data)
    rows = DeviceModelVariable.objects.filter(station__station_id="CP-1")
    assert {(row.component, row.variable) async for row in rows} == {
        ("OCPPCommCtrlr", "OfflineThreshold"),
        ("AuthCtrlr", "AuthorizeRemoteStart"),
    }


async def signed_update(operator, cp, *statuses):
    status, command = await operator.command(
        "CP-16",
        "update_firmware",
        location=LOCATION,
        signing_certificate=CERT,
        signature=SIGNATURE,
        install_date="2026-12-24T03:00:00Z",
        retries=2,
    )
    request = only(cp, "SignedUpdateFirmware")
    for state in statuses:
        answer = await cp.call(
            call16.SignedFirmwareStatusNotification(status=state, request_id=request["requestId"])
        )
        assert answer is not None
    assert status == 201 and command["status"] == "accepted", command
    return command, request


async def test_TC_080_CSMS(operator):
    """Secure Firmware Update: SignedUpdateFirmware with the certificate, signature and
    install time; each SignedFirmwareStatusNotification answered, the last one kept."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        command, request = await signed_update(
            operator,
            cp,
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "Installing",
            "Installed",
        )
    assert request["requestId"] == command["id"]
    assert request["firmware"]["location"] == LOCATION
    assert request["firmware"]["signingCertificate"] == CERT
    assert request["firmware"]["signature"] == SIGNATURE
    assert request["firmware"]["installDateTime"] == "2026-12-24T03:00:00Z"
    assert "retrieveDateTime" in request["firmware"]
    assert request["retries"] == 2
    assert sent(cp, "UpdateFirmware") == []  # never the unsigned message
    station = await ChargingStation.objects.aget(station_id="CP-16")
    assert station.firmware_status == "Installed"


async def test_TC_081_CSMS(operator):
    """Secure Firmware Update - Invalid Signature: the failure answered and kept."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        await signed_update(operator, cp, "Downloading", "Downloaded", "InvalidSignature")
    events = StationEvent.objects.filter(station__station_id="CP-16", kind="FirmwareStatus")
    assert [event.status async for event in events.order_by("id")] == [
        "Downloading",
        "Downloaded",
        "InvalidSignature",
    ]


async def test_TC_080_CSMS_install_date_needs_a_signature(operator):
    """1.6 UpdateFirmware has no install time: unsigned with install_date is a 400."""
    status, body = await operator.command(
        "CP-16", "update_firmware", location=LOCATION, install_date="2026-12-24T03:00:00Z"
    )
    assert status == 400 and "1.6" in str(body)


async def test_TC_054_CSMS(operator):
    """Trigger Message: TriggerMessage for StatusNotification of a connector; the
    triggered StatusNotification is answered."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command(
            "CP-16", "trigger_message", message="StatusNotification", connector_id=1
        )
        answer = await cp.call(
            call16.StatusNotification(connector_id=1, error_code="NoError", status="Available")
        )
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "TriggerMessage") == {
        "requestedMessage": "StatusNotification",
        "connectorId": 1,
    }
    assert answer is not None


@pytest.mark.parametrize("message", ["LogStatusNotification", "SignChargePointCertificate"])
async def test_SEC_16_extended_trigger_message(operator, message):
    """The Security extension's triggers go as ExtendedTriggerMessage (TriggerMessage
    has no such requestedMessage); the triggered LogStatusNotification is answered."""
    async with station_on(operator.address, "CP-16", "1.6", TriggeredStation) as cp:
        status, command = await operator.command("CP-16", "trigger_message", message=message)
        if message == "LogStatusNotification":
            answer = await cp.call(call16.LogStatusNotification(status="Idle", request_id=1))
            assert answer is not None
    assert status == 201 and command["status"] == "accepted", command
    assert only(cp, "ExtendedTriggerMessage") == {"requestedMessage": message}
    assert sent(cp, "TriggerMessage") == []


async def test_SEC_16_extended_trigger_not_implemented(operator):
    """A station without the extension answers NotImplemented: stored as rejected."""
    async with station_on(operator.address, "CP-16", "1.6", TriggeredStation) as cp:
        cp.answer["ExtendedTriggerMessage"] = "NotImplemented"
        _, command = await operator.command(
            "CP-16", "trigger_message", message="LogStatusNotification"
        )
    assert command["status"] == "rejected"
