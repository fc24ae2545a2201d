"""Certificates and ISO 15118 over real sockets: SignCertificate signed by ChargeNet's
CA and delivered in a CertificateSigned, GetCertificateStatus and Get15118EVCertificate
answered from a real OCSP responder and contract-certificate service (OCTT M24, M26,
M28), Authorize with a contract certificate answered with its certificateStatus
(C50, C51, C52), and an EV's charging needs met with a TxProfile (K53, K58).

A live daphne runs with a throw-away PKI (tests/support/pki.py) whose OCSP responder
and contract-certificate service listen on 127.0.0.1.
"""

import asyncio
import base64
import contextlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from websockets.asyncio.client import connect

from stations.models import (
    ChargingProfile,
    ChargingStation,
    Command,
    IssuedCertificate,
    Site,
    StationEvent,
)
from tests.support.charge_points import booted
from tests.support.command_stations import AllCommands16, AllCommands201
from tests.support.factories import STATION_PASSWORD, IdTokenFactory, make_station
from tests.support.live import live_daphne
from tests.support.pki import (
    ORGANIZATION,
    PkiServer,
    csr,
    exi_response_for,
    hash_data,
    issue,
    name,
    new_key,
    pem,
)

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

T0 = "2026-12-01T10:00:00Z"
EMAID = "DEABCC123456789"
PNC = "org.openchargealliance.iso15118pnc"


@pytest.fixture
def pki():
    with PkiServer() as server:
        yield server


@pytest.fixture
def live_url(pki, tmp_path):
    """A live daphne whose CA is the test PKI's sub-CA; CP-1 (2.x) and CP-16 (1.6)."""
    make_station("CP-1")
    make_station("CP-16")
    IdTokenFactory(value=EMAID, type="eMAID")
    ca = pki.pki.write_ca(tmp_path)
    settings = {
        **ca,
        # ISO 15118 certificates from the same sub-CA here.
        "OCPP_V2G_CA_CERT": ca["OCPP_CA_CERT"],
        "OCPP_V2G_CA_KEY": ca["OCPP_CA_KEY"],
        "OCPP_CONTRACT_CERTIFICATE_URL": pki.url + "/contract",
        # Tasks (CertificateSigned, the EV's profile) in the server, as `make run` does.
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMBEDDED_BEAT": "0",
        "OCPP_PKI_TIMEOUT": "2",
    }
    with live_daphne(**settings) as address:
        yield f"ws://{address}/ocpp/"


def auth(station_id: str) -> dict:
    token = base64.b64encode(f"{station_id}:{STATION_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@contextlib.asynccontextmanager
async def station(url: str, station_id: str = "CP-1", version: str = "2.0.1"):
    station_class = AllCommands16 if version == "1.6" else AllCommands201
    subprotocol = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    async with connect(
        url + station_id, subprotocols=[subprotocol], additional_headers=auth(station_id)
    ) as websocket:
        cp = station_class(station_id, websocket)
        runner = asyncio.create_task(cp.start())
        try:
            await booted(cp, version)
            yield cp
        finally:
            runner.cancel()
            with contextlib.suppress(BaseException):
                await runner


async def frame_of(cp, action: str, timeout: float = 15) -> dict:
    """The payload of the first `action` the station got, once it came."""
    for _ in range(int(timeout * 20)):
        for called, payload in cp.frames:
            if called == action:
                return payload
        await asyncio.sleep(0.05)
    raise AssertionError(f"No {action} came; got {[name for name, _ in cp.frames]}")


async def delivered(station_id: str) -> IssuedCertificate:
    async def done():
        row = await IssuedCertificate.objects.filter(station__station_id=station_id).afirst()
        if row is None or row.command_id is None:
            return None
        command = await Command.objects.aget(pk=row.command_id)
        return row if command.status != Command.Status.PENDING else None

    for _ in range(200):
        row = await done()
        if row is not None:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError("The issued certificate was not delivered")


def check_chain(chain: str, pki, station_id: str, key) -> x509.Certificate:
    certificates = x509.load_pem_x509_certificates(chain.encode())
    leaf = certificates[0]
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == station_id
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == ORGANIZATION
    leaf.verify_directly_issued_by(pki.sub)  # signed by the configured CA
    assert certificates[1] == pki.sub
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert leaf.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)
    return leaf


# --- SignCertificate -> CertificateSigned (A02/A03; 1.6 security extension) ----------


async def test_201_csr_is_signed_and_sent_back_as_certificate_signed(live_url, pki):
    key = new_key()
    async with station(live_url) as cp:
        answer = await cp.call(
            call201.SignCertificate(
                csr=csr("CP-1", key=key), certificate_type="ChargingStationCertificate"
            )
        )
        signed = await frame_of(cp, "CertificateSigned")
        row = await delivered("CP-1")
    assert answer.status == "Accepted"
    assert signed["certificateType"] == "ChargingStationCertificate"
    leaf = check_chain(signed["certificateChain"], pki.pki, "CP-1", key)
    assert row.serial_number == format(leaf.serial_number, "X")
    assert row.certificate_type == "ChargingStationCertificate"
    assert row.not_after == leaf.not_valid_after_utc
    command = await Command.objects.aget(pk=row.command_id)
    assert (command.action, command.status) == ("certificate_signed", "accepted")


async def test_201_csr_not_naming_the_station_or_the_cso_is_rejected(live_url):
    async with station(live_url) as cp:
        other_station = await cp.call(call201.SignCertificate(csr=csr("CP-2")))
        other_cso = await cp.call(call201.SignCertificate(csr=csr("CP-1", "Someone Else")))
        garbage = await cp.call(call201.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----"))
        v2g_of_other_cso = await cp.call(
            call201.SignCertificate(csr=csr("SECC-1", "Else"), certificate_type="V2GCertificate")
        )
        await asyncio.sleep(0.5)
    answers = (other_station, other_cso, garbage, v2g_of_other_cso)
    assert [a.status for a in answers] == ["Rejected"] * 4
    assert {a.status_info["reason_code"] for a in answers} == {"InvalidCSR"}
    assert not [name for name, _ in cp.frames if name == "CertificateSigned"]
    assert not await IssuedCertificate.objects.aexists()
    reasons = [
        e.data["reason"]
        async for e in StationEvent.objects.filter(kind="SignCertificate").order_by("id")
    ]
    assert reasons == ["InvalidCSR"] * 4


async def test_16_csr_is_signed_and_sent_back_as_certificate_signed(live_url, pki):
    key = new_key()
    async with station(live_url, "CP-16", "1.6") as cp:
        wrong = await cp.call(call16.SignCertificate(csr=csr("CP-1")))
        answer = await cp.call(call16.SignCertificate(csr=csr("CP-16", key=key)))
        signed = await frame_of(cp, "CertificateSigned")
        row = await delivered("CP-16")
    assert (wrong.status, answer.status) == ("Rejected", "Accepted")
    assert set(signed) == {"certificateChain"}  # 1.6 has no certificate type
    leaf = check_chain(signed["certificateChain"], pki.pki, "CP-16", key)
    assert row.serial_number == format(leaf.serial_number, "X")


async def test_201_v2g_certificate_is_signed_for_the_secc(live_url, pki):
    key = new_key()
    async with station(live_url) as cp:
        # ISO 15118's SECC certificate names the SECC, not the station; the CSO's all the same.
        answer = await cp.call(
            call201.SignCertificate(csr=csr("SECC-1", key=key), certificate_type="V2GCertificate")
        )
        signed = await frame_of(cp, "CertificateSigned")
        row = await delivered("CP-1")
    assert answer.status == "Accepted"
    assert signed["certificateType"] == "V2GCertificate"
    check_chain(signed["certificateChain"], pki.pki, "SECC-1", key)
    assert row.certificate_type == "V2GCertificate"


async def test_16_plug_and_charge_messages_in_data_transfer(live_url, pki):
    """OCA's "Using ISO 15118 Plug & Charge with OCPP 1.6": the 2.0.1 messages as
    DataTransfer (vendor org.openchargealliance.iso15118pnc), their JSON as data."""
    p, url = pki.pki, pki.url + "/ocsp"

    def pnc(message_id: str, payload: dict):
        return call16.DataTransfer(vendor_id=PNC, message_id=message_id, data=json.dumps(payload))

    key = new_key()
    async with station(live_url, "CP-16", "1.6") as cp:
        authorize = await cp.call(
            pnc(
                "Authorize",
                {
                    "idToken": {"idToken": EMAID, "type": "eMAID"},
                    "iso15118CertificateHashData": [camel(hash_data(p.revoked, p.sub, url))],
                },
            )
        )
        status = await cp.call(
            pnc(
                "GetCertificateStatus",
                {"ocspRequestData": camel(hash_data(p.contract, p.sub, url))},
            )
        )
        contract = await cp.call(
            pnc(
                "Get15118EVCertificate",
                {
                    "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
                    "action": "Install",
                    "exiRequest": "gJgCAAAA",
                },
            )
        )
        sign = await cp.call(pnc("SignCertificate", {"csr": csr("SECC-16", key=key)}))
        signed = await frame_of(cp, "DataTransfer")
        bad = await cp.call(pnc("Authorize", {"idToken": "not an object"}))
        unknown = await cp.call(pnc("NoSuchMessage", {}))
    assert authorize.status == "Accepted"
    assert json.loads(authorize.data) == {
        "idTokenInfo": {"status": "Invalid"},
        "certificateStatus": "CertificateRevoked",
    }
    status_data = json.loads(status.data)
    assert status_data["status"] == "Accepted"
    result = ocsp.load_der_ocsp_response(base64.b64decode(status_data["ocspResult"]))
    assert result.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert json.loads(contract.data) == {
        "status": "Accepted",
        "exiResponse": exi_response_for("gJgCAAAA"),
    }
    assert json.loads(sign.data) == {"status": "Accepted"}
    assert (signed["vendorId"], signed["messageId"]) == (PNC, "CertificateSigned")
    chain = json.loads(signed["data"])
    assert chain["certificateType"] == "V2GCertificate"
    check_chain(chain["certificateChain"], pki.pki, "SECC-16", key)
    assert (bad.status, unknown.status) == ("Rejected", "UnknownMessageId")


def camel(data: dict) -> dict:
    return {
        "hashAlgorithm": data["hash_algorithm"],
        "issuerNameHash": data["issuer_name_hash"],
        "issuerKeyHash": data["issuer_key_hash"],
        "serialNumber": data["serial_number"],
        "responderURL": data["responder_url"],
    }


# --- GetCertificateStatus, Get15118EVCertificate (M24, M26, M28) ------------------


async def test_201_certificate_status_comes_from_the_ocsp_responder(live_url, pki):
    p = pki.pki
    async with station(live_url) as cp:
        good = await cp.call(
            call201.GetCertificateStatus(
                ocsp_request_data=hash_data(p.contract, p.sub, pki.url + "/ocsp")
            )
        )
        revoked = await cp.call(
            call201.GetCertificateStatus(
                ocsp_request_data=hash_data(p.revoked, p.sub, pki.url + "/ocsp")
            )
        )
        unreachable = await cp.call(
            call201.GetCertificateStatus(
                ocsp_request_data=hash_data(p.contract, p.sub, "http://127.0.0.1:9/ocsp")
            )
        )
    assert good.status == "Accepted"
    result = ocsp.load_der_ocsp_response(base64.b64decode(good.ocsp_result))
    assert result.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert result.serial_number == p.contract.serial_number
    # The responder answered: the station reads "revoked" in the result itself.
    assert revoked.status == "Accepted"
    result = ocsp.load_der_ocsp_response(base64.b64decode(revoked.ocsp_result))
    assert result.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert unreachable.status == "Failed" and unreachable.ocsp_result is None


@pytest.mark.parametrize("action", ["Install", "Update"])
async def test_201_contract_certificate_comes_from_the_provider(live_url, action):
    async with station(live_url) as cp:
        answer = await cp.call(
            call201.Get15118EVCertificate(
                iso15118_schema_version="urn:iso:15118:2:2013:MsgDef",
                action=action,
                exi_request="gJgCAAAA",
            )
        )
    assert answer.status == "Accepted"
    assert answer.exi_response == exi_response_for("gJgCAAAA")


# --- Authorize with a contract certificate (C07: C50, C51, C52) --------------------


async def test_201_authorize_with_certificate_hash_data(live_url, pki):
    p = pki.pki
    url = pki.url + "/ocsp"
    token = {"id_token": EMAID, "type": "eMAID"}
    async with station(live_url) as cp:
        valid = await cp.call(
            call201.Authorize(
                id_token=token,
                iso15118_certificate_hash_data=[
                    hash_data(p.contract, p.sub, url),
                    hash_data(p.sub, p.root, url),
                ],
            )
        )
        revoked = await cp.call(
            call201.Authorize(
                id_token=token, iso15118_certificate_hash_data=[hash_data(p.revoked, p.sub, url)]
            )
        )
        unchecked = await cp.call(
            call201.Authorize(
                id_token=token,
                iso15118_certificate_hash_data=[
                    hash_data(p.contract, p.sub, "http://127.0.0.1:9/ocsp")
                ],
            )
        )
        plain = await cp.call(call201.Authorize(id_token=token))
        # A responder ChargeNet cannot trust (its answer not signed by the issuer).
        p.forge = True
        forged = await cp.call(
            call201.Authorize(
                id_token=token, iso15118_certificate_hash_data=[hash_data(p.revoked, p.sub, url)]
            )
        )
    assert (valid.id_token_info["status"], valid.certificate_status) == ("Accepted", "Accepted")
    assert (revoked.id_token_info["status"], revoked.certificate_status) == (
        "Invalid",
        "CertificateRevoked",
    )
    assert unchecked.certificate_status == "NoCertificateAvailable"
    assert unchecked.id_token_info["status"] == "Invalid"
    # No certificate: no certificateStatus, the token's own status.
    assert (plain.id_token_info["status"], plain.certificate_status) == ("Accepted", None)
    assert (forged.id_token_info["status"], forged.certificate_status) == (
        "Invalid",
        "NoCertificateAvailable",
    )
    assert pki.requests.count("/ocsp") == 4  # two of the valid chain, one revoked, forged


async def test_201_authorize_with_the_certificate_itself(live_url, pki):
    p = pki.pki
    token = {"id_token": EMAID, "type": "eMAID"}
    async with station(live_url) as cp:
        # The issuer comes from ChargeNet's trusted roots, the responder from the AIA.
        valid = await cp.call(call201.Authorize(id_token=token, certificate=pem(p.contract)))
        revoked = await cp.call(
            call201.Authorize(id_token=token, certificate=pem(p.revoked) + pem(p.sub))
        )
        expired = await cp.call(call201.Authorize(id_token=token, certificate=pem(p.expired)))
        foreign_key = new_key()
        foreign_ca = issue(name("Foreign CA"), foreign_key, ca=True)
        foreign = issue(name(EMAID), new_key(), foreign_ca, foreign_key)
        stranger = await cp.call(call201.Authorize(id_token=token, certificate=pem(foreign)))
    assert (valid.id_token_info["status"], valid.certificate_status) == ("Accepted", "Accepted")
    assert (revoked.id_token_info["status"], revoked.certificate_status) == (
        "Invalid",
        "CertificateRevoked",
    )
    assert (expired.id_token_info["status"], expired.certificate_status) == (
        "Invalid",
        "CertificateExpired",
    )
    assert stranger.certificate_status == "CertChainError"
    assert pki.requests.count("/ocsp") == 2  # the expired and the stranger are not asked


# --- NotifyEVChargingNeeds met with a TxProfile (K15, K17: K53, K57, K58) ---------


async def test_201_charging_needs_are_met_with_a_tx_profile_within_the_site_limit(live_url):
    site = await Site.objects.acreate(name="Depot", max_power_w=11_000)
    await ChargingStation.objects.filter(station_id="CP-1").aupdate(site=site)
    async with station(live_url) as cp:
        without_transaction = await cp.call(
            call201.NotifyEVChargingNeeds(
                evse_id=1, charging_needs={"requested_energy_transfer": "AC_three_phase"}
            )
        )
        await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=T0,
                trigger_reason="CablePluggedIn",
                seq_no=0,
                transaction_info={"transaction_id": "TX-15118", "charging_state": "EVConnected"},
                evse={"id": 1, "connector_id": 1},
            )
        )
        # Let the site's own rebalance of the new session pass first.
        await asyncio.sleep(1)
        cp.frames.clear()
        needs = await cp.call(
            call201.NotifyEVChargingNeeds(
                evse_id=1,
                max_schedule_tuples=10,
                charging_needs={
                    "requested_energy_transfer": "AC_single_phase",
                    "ac_charging_parameters": {
                        "energy_amount": 20_000,
                        "ev_min_current": 6,
                        "ev_max_current": 16,
                        "ev_max_voltage": 230,
                    },
                },
            )
        )
        profile = await frame_of(cp, "SetChargingProfile")
        schedule = profile["chargingProfile"]["chargingSchedule"][0]
        notified = await cp.call(
            call201.NotifyEVChargingSchedule(
                time_base=T0, evse_id=1, charging_schedule=schedule_snake(schedule)
            )
        )
        greedy = schedule_snake(schedule)
        greedy["charging_schedule_period"] = [{"start_period": 0, "limit": 7400}]
        over = await cp.call(
            call201.NotifyEVChargingSchedule(time_base=T0, evse_id=1, charging_schedule=greedy)
        )
    assert without_transaction.status == "Rejected"
    assert needs.status == "Accepted"
    assert profile["evseId"] == 1
    assert profile["chargingProfile"]["chargingProfilePurpose"] == "TxProfile"
    assert profile["chargingProfile"]["transactionId"] == "TX-15118"
    assert schedule["chargingRateUnit"] == "W"
    # The EV takes at most 16 A at 230 V on one phase: below the site's 11 kW.
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 3680}]
    assert notified.status == "Accepted"
    assert over.status == "Rejected"  # more than the EVSE was given
    for _ in range(100):  # stored once the task has the station's answer
        row = await ChargingProfile.objects.aget(session__transaction_id="TX-15118")
        if row.status != ChargingProfile.Status.REQUESTED:
            break
        await asyncio.sleep(0.05)
    assert row.status == ChargingProfile.Status.ACCEPTED


def schedule_snake(schedule: dict) -> dict:
    periods = [
        {"start_period": p["startPeriod"], "limit": p["limit"]}
        for p in schedule["chargingSchedulePeriod"]
    ]
    return {
        "id": schedule["id"],
        "charging_rate_unit": schedule["chargingRateUnit"],
        "charging_schedule_period": periods,
    }
