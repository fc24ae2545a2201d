"""Blocks K (GetChargingProfiles) and L (firmware): requests, answers, progress stored.

L: TC_L_02/03/06/10/13_CSMS (secure firmware update: installDateTime, retrieveDateTime,
signingCertificate, signature; the station's FirmwareStatusNotifications answered and
kept). PublishFirmware / UnpublishFirmware follow use cases L03/L04, GetChargingProfiles
use case K09 (the OCTT texts of those cases were not at hand).
"""

from datetime import UTC, datetime, timedelta

import pytest
from ocpp.v201 import call

from stations.models import ChargingStation, StationEvent
from tests.support.octt import only, station_on

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

T0 = "2026-12-01T09:00:00Z"
CERT = "-----BEGIN CERTIFICATE-----\nMIIBfirmwareSigner\n-----END CERTIFICATE-----"
SIGNATURE = "c2lnbmF0dXJlIG9mIHRoZSBmaXJtd2FyZQ=="
LOCATION = "https://firmware.example.com/cp-1.bin"
PROFILE = {
    "id": 7,
    "stack_level": 0,
    "charging_profile_purpose": "TxDefaultProfile",
    "charging_profile_kind": "Relative",
    "charging_schedule": [
        {
            "id": 1,
            "charging_rate_unit": "W",
            "charging_schedule_period": [{"start_period": 0, "limit": 7400}],
        }
    ],
}


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


async def events(kind: str) -> list[StationEvent]:
    rows = StationEvent.objects.filter(station__station_id="CP-1", kind=kind).order_by("id")
    return [event async for event in rows]


# --- K: GetChargingProfiles ------------------------------------------------------------


async def test_UC_K09_CSMS_get_charging_profiles(operator):
    """Get Charging Profiles of an EVSE by purpose: requestId, evseId and the criterion
    sent; the ReportChargingProfiles that follows is answered and kept."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1", "get_charging_profiles", evse_id=1, purpose="tx_default"
        )
        request = only(cp, "GetChargingProfiles")
        answer = await cp.call(
            call.ReportChargingProfiles(
                request_id=request["requestId"],
                charging_limit_source="CSO",
                evse_id=1,
                charging_profile=[PROFILE],
            ),
            suppress=False,
        )
    assert status == 201 and command["status"] == "accepted", command
    assert request == {
        "requestId": command["id"],
        "evseId": 1,
        "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile"},
    }
    assert answer is not None
    (report,) = await events("ChargingProfiles")
    assert report.data["request_id"] == command["id"]
    assert report.data["charging_profile"][0]["id"] == 7


async def test_UC_K09_CSMS_get_charging_profiles_by_id_and_source(operator):
    """By profile id and limit source, for the whole station; NoProfiles is an answer."""
    async with station_on(operator.address) as cp:
        cp.replies["GetChargingProfiles"] = {"status": "NoProfiles"}
        status, command = await operator.command(
            "CP-1", "get_charging_profiles", profile_ids=[7, 8], sources=["cso", "EMS"]
        )
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "GetChargingProfiles")["chargingProfile"] == {
        "chargingProfileId": [7, 8],
        "chargingLimitSource": ["CSO", "EMS"],
    }
    assert command["response"] == {"status": "NoProfiles"}


# --- L: firmware ---------------------------------------------------------------------


async def update(operator, cp, **params):
    status, command = await operator.command(
        "CP-1",
        "update_firmware",
        location=LOCATION,
        signing_certificate=CERT,
        signature=SIGNATURE,
        **params,
    )
    assert status == 201, command
    return command, only(cp, "UpdateFirmware")


async def notify(cp, request_id: int, *statuses: str) -> None:
    for status in statuses:
        answer = await cp.call(
            call.FirmwareStatusNotification(status=status, request_id=request_id), suppress=False
        )
        assert answer is not None


async def test_TC_L_01_CSMS(operator):
    """Secure Firmware Update - Installed: UpdateFirmware with location, retrieveDateTime,
    signingCertificate and signature; each status answered, Installed kept."""
    async with station_on(operator.address) as cp:
        command, request = await update(operator, cp)
        await notify(
            cp,
            request["requestId"],
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "Installing",
            "Installed",
        )
    assert command["status"] == "accepted"
    firmware = request["firmware"]
    assert set(firmware) == {"location", "retrieveDateTime", "signingCertificate", "signature"}
    assert (firmware["signingCertificate"], firmware["signature"]) == (CERT, SIGNATURE)
    station = await ChargingStation.objects.aget(station_id="CP-1")
    assert station.firmware_status == "Installed"


async def test_TC_L_02_CSMS(operator):
    """Secure Firmware Update - InstallScheduled: installDateTime in the future, the
    signing certificate and signature sent; every status answered, the last one kept."""
    install = iso(datetime.now(UTC) + timedelta(hours=2))
    async with station_on(operator.address) as cp:
        command, request = await update(
            operator, cp, install_date=install, retries=3, retry_interval=60
        )
        await notify(
            cp,
            request["requestId"],
            "Downloading",
            "Downloaded",
            "SignatureVerified",
            "InstallScheduled",
            "Installing",
            "Installed",
        )
    assert command["status"] == "accepted"
    firmware = request["firmware"]
    assert firmware["location"] == LOCATION
    assert firmware["installDateTime"] == install
    assert firmware["signingCertificate"] == CERT and firmware["signature"] == SIGNATURE
    assert "retrieveDateTime" in firmware
    assert (request["retries"], request["retryInterval"]) == (3, 60)
    assert request["requestId"] == command["id"]
    statuses = [event.status for event in await events("FirmwareStatus")]
    assert statuses[-1] == "Installed" and "InstallScheduled" in statuses
    station = await ChargingStation.objects.aget(station_id="CP-1")
    assert station.firmware_status == "Installed"


async def test_TC_L_03_CSMS(operator):
    """Secure Firmware Update - DownloadScheduled: retrieveDateTime in the future."""
    retrieve = iso(datetime.now(UTC) + timedelta(hours=1))
    async with station_on(operator.address) as cp:
        command, request = await update(operator, cp, retrieve_date=retrieve)
        await notify(cp, request["requestId"], "DownloadScheduled", "Downloading", "Downloaded")
    assert command["status"] == "accepted"
    assert request["firmware"]["retrieveDateTime"] == retrieve
    assert [e.status for e in await events("FirmwareStatus")] == [
        "DownloadScheduled",
        "Downloading",
        "Downloaded",
    ]


async def test_TC_L_06_CSMS(operator):
    """Secure Firmware Update - InvalidSignature: the failure is answered and kept."""
    async with station_on(operator.address) as cp:
        _, request = await update(operator, cp)
        await notify(cp, request["requestId"], "Downloading", "Downloaded", "InvalidSignature")
    station = await ChargingStation.objects.aget(station_id="CP-1")
    assert station.firmware_status == "InvalidSignature"


async def test_TC_L_10_CSMS(operator):
    """Secure Firmware Update - AcceptedCanceled: a second update while one runs; the
    station cancels the first, the second is accepted."""
    async with station_on(operator.address) as cp:
        first, request = await update(operator, cp)
        await notify(cp, request["requestId"], "Downloading")
        cp.answer["UpdateFirmware"] = "AcceptedCanceled"
        status, second = await operator.command(
            "CP-1",
            "update_firmware",
            location=LOCATION + "?v=2",
            signing_certificate=CERT,
            signature=SIGNATURE,
        )
        requests = [payload for name, payload in cp.frames if name == "UpdateFirmware"]
        await notify(cp, requests[1]["requestId"], "Downloading", "Downloaded", "Installed")
    assert first["status"] == "accepted"
    assert status == 201 and second["status"] == "accepted"
    assert second["response"] == {"status": "AcceptedCanceled"}
    assert requests[0]["requestId"] != requests[1]["requestId"]


async def test_TC_L_13_CSMS(operator):
    """Secure Firmware Update with an ongoing transaction: the station makes the idle
    connector Unavailable and waits; ChargeNet keeps the transaction and every status."""
    async with station_on(operator.address) as cp:
        await cp.call(
            call.TransactionEvent(
                event_type="Started",
                timestamp=T0,
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": "TX-L13", "charging_state": "Charging"},
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-0001", "type": "ISO14443"},
            ),
            suppress=False,
        )
        _, request = await update(operator, cp)
        await notify(cp, request["requestId"], "DownloadScheduled")
        status = await cp.call(
            call.StatusNotification(
                timestamp=T0, connector_status="Unavailable", evse_id=2, connector_id=1
            ),
            suppress=False,
        )
        await notify(cp, request["requestId"], "Downloading", "Downloaded", "InstallScheduled")
    assert status is not None
    assert request["firmware"]["signingCertificate"] == CERT
    station = await ChargingStation.objects.aget(station_id="CP-1")
    assert station.firmware_status == "InstallScheduled"


async def test_UC_L03_CSMS_publish_firmware(operator):
    """Publish Firmware file on a Local Controller: location, MD5 checksum, requestId;
    the PublishFirmwareStatusNotification with the published locations is kept."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "publish_firmware",
            location=LOCATION,
            checksum="9e107d9d372bb6826bd81d3542a419d6",
            retries=2,
            retry_interval=30,
        )
        request = only(cp, "PublishFirmware")
        for state in ("Downloading", "Downloaded", "ChecksumVerified", "Published"):
            extra = {"location": ["http://lc.local/fw.bin"]} if state == "Published" else {}
            await cp.call(
                call.PublishFirmwareStatusNotification(
                    status=state, request_id=request["requestId"], **extra
                ),
                suppress=False,
            )
    assert status == 201 and command["status"] == "accepted"
    assert request == {
        "location": LOCATION,
        "checksum": "9e107d9d372bb6826bd81d3542a419d6",
        "requestId": command["id"],
        "retries": 2,
        "retryInterval": 30,
    }
    published = await events("PublishFirmwareStatus")
    assert [event.status for event in published][-1] == "Published"
    assert published[-1].data["location"] == ["http://lc.local/fw.bin"]


async def test_UC_L04_CSMS_unpublish_firmware(operator):
    """Unpublish Firmware file: the checksum; Unpublished and NoFirmware are answers."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1", "unpublish_firmware", checksum="9e107d9d372bb6826bd81d3542a419d6"
        )
        cp.replies["UnpublishFirmware"] = {"status": "NoFirmware"}
        _, again = await operator.command(
            "CP-1", "unpublish_firmware", checksum="9e107d9d372bb6826bd81d3542a419d6"
        )
    assert status == 201 and command["status"] == "accepted"
    assert (
        sent_payloads(cp, "UnpublishFirmware")
        == [{"checksum": "9e107d9d372bb6826bd81d3542a419d6"}] * 2
    )
    assert again["response"] == {"status": "NoFirmware"}


def sent_payloads(cp, action):
    return [payload for name, payload in cp.frames if name == action]
