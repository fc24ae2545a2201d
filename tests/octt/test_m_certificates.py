"""Block M (and A's CertificateSigned): certificates installed, listed, deleted, signed.

TC_M_02_CSMS (install a ManufacturerRootCertificate), TC_M_20_CSMS (delete a
certificate with each hash algorithm: the hash data the station listed is sent back),
TC_M_21_CSMS (deletion Failed); CSMS and V2G/MO roots, GetInstalledCertificateIds of
several types and CertificateSigned follow use cases M05, M03 and A02 (their OCTT
texts were not at hand). 1.6 (Security extension): TC_076_CSMS.
"""

import json

import pytest
from ocpp.v201 import call

from tests.support.octt import only, sent, station_on

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

PEM = "-----BEGIN CERTIFICATE-----\nMIIBrootCertificateForTests\n-----END CERTIFICATE-----"
CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBcsr\n-----END CERTIFICATE REQUEST-----"
CHAIN = PEM + "\n" + PEM.replace("root", "leaf")
HASHES = {
    "SHA256": ("a" * 64, "b" * 64),
    "SHA384": ("c" * 96, "d" * 96),
    "SHA512": ("e" * 128, "f" * 128),
}


def hash_data(algorithm: str, serial: str = "5f1e") -> dict:
    name, key = HASHES[algorithm]
    return {
        "hash_algorithm": algorithm,
        "issuer_name_hash": name,
        "issuer_key_hash": key,
        "serial_number": serial,
    }


@pytest.mark.parametrize(
    ("certificate_type", "sent_as"),
    [
        ("csms_root_certificate", "CSMSRootCertificate"),
        ("ManufacturerRootCertificate", "ManufacturerRootCertificate"),
        ("v2g_root_certificate", "V2GRootCertificate"),
        ("mo_root_certificate", "MORootCertificate"),
    ],
)
async def test_TC_M_02_CSMS(operator, certificate_type, sent_as):
    """Install CA certificate (Manufacturer, and the other roots M05 names): the type
    and the PEM as given; the station's answer stored."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1", "install_certificate", certificate_type=certificate_type, certificate=PEM
        )
    assert status == 201 and command["status"] == "accepted", command
    assert only(cp, "InstallCertificate") == {"certificateType": sent_as, "certificate": PEM}


async def test_UC_M05_CSMS_install_rejected(operator):
    """The station refuses the certificate: stored as rejected with its answer."""
    async with station_on(operator.address) as cp:
        cp.replies["InstallCertificate"] = {"status": "Rejected"}
        _, command = await operator.command(
            "CP-1", "install_certificate", certificate_type="csms_root_certificate", certificate=PEM
        )
    assert command["status"] == "rejected"
    assert command["response"] == {"status": "Rejected"}


@pytest.mark.parametrize("algorithm", ["SHA256", "SHA384", "SHA512"])
async def test_TC_M_20_CSMS(operator, algorithm):
    """Delete a certificate - Success: GetInstalledCertificateIds for CSMSRootCertificate,
    then DeleteCertificate with exactly the certificateHashData the station returned."""
    listed = {
        "status": "Accepted",
        "certificate_hash_data_chain": [
            {
                "certificate_type": "CSMSRootCertificate",
                "certificate_hash_data": hash_data(algorithm),
            }
        ],
    }
    async with station_on(operator.address) as cp:
        cp.replies["GetInstalledCertificateIds"] = listed
        status, ids = await operator.command(
            "CP-1", "get_installed_certificate_ids", certificate_types=["csms_root_certificate"]
        )
        chain = ids["response"]["certificateHashDataChain"]
        returned = chain[0]["certificateHashData"]
        deleted_status, deleted = await operator.command(
            "CP-1",
            "delete_certificate",
            hash_algorithm=returned["hashAlgorithm"],
            issuer_name_hash=returned["issuerNameHash"],
            issuer_key_hash=returned["issuerKeyHash"],
            serial_number=returned["serialNumber"],
        )
    assert status == 201 and ids["status"] == "accepted"
    assert only(cp, "GetInstalledCertificateIds") == {"certificateType": ["CSMSRootCertificate"]}
    assert deleted_status == 201 and deleted["status"] == "accepted"
    assert only(cp, "DeleteCertificate") == {"certificateHashData": returned}
    assert returned["hashAlgorithm"] == algorithm


async def test_TC_M_21_CSMS(operator):
    """Delete a certificate - Failed: the station's Failed is kept as rejected."""
    async with station_on(operator.address) as cp:
        cp.replies["DeleteCertificate"] = {"status": "Failed"}
        _, command = await operator.command("CP-1", "delete_certificate", **hash_data("SHA256"))
    assert command["status"] == "rejected"
    assert command["response"] == {"status": "Failed"}
    assert only(cp, "DeleteCertificate")["certificateHashData"]["hashAlgorithm"] == "SHA256"


async def test_UC_M03_CSMS_installed_ids_of_every_type(operator):
    """GetInstalledCertificateIds without a type asks for all; NotFound is an answer."""
    async with station_on(operator.address) as cp:
        cp.replies["GetInstalledCertificateIds"] = {"status": "NotFound"}
        _, everything = await operator.command("CP-1", "get_installed_certificate_ids")
        _, several = await operator.command(
            "CP-1",
            "get_installed_certificate_ids",
            certificate_types=["v2g_certificate_chain", "mo_root_certificate"],
        )
    asked = sent(cp, "GetInstalledCertificateIds")
    assert asked[0] == {}
    assert asked[1] == {"certificateType": ["V2GCertificateChain", "MORootCertificate"]}
    assert everything["status"] == several["status"] == "accepted"


@pytest.mark.parametrize(
    ("certificate_type", "sent_as"),
    [
        ("charging_station_certificate", "ChargingStationCertificate"),
        ("v2g_certificate", "V2GCertificate"),
    ],
)
async def test_UC_A02_CSMS_certificate_signed(operator, certificate_type, sent_as):
    """CertificateSigned: the PEM chain and its type as given."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1", "certificate_signed", certificate_chain=CHAIN, certificate_type=certificate_type
        )
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "CertificateSigned") == {"certificateChain": CHAIN, "certificateType": sent_as}


# --- 1.6 Security extension ------------------------------------------------------------


async def test_TC_076_CSMS(operator):
    """1.6 Delete a specific certificate from the Charge Point: install a
    CentralSystemRootCertificate, list it, delete it with the listed hash data."""
    listed = {
        "status": "Accepted",
        "certificate_hash_data": [hash_data("SHA256", serial="0a")],
    }
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        cp.replies["GetInstalledCertificateIds"] = listed
        installed_status, installed = await operator.command(
            "CP-16",
            "install_certificate",
            certificate_type="csms_root_certificate",
            certificate=PEM,
        )
        _, ids = await operator.command(
            "CP-16", "get_installed_certificate_ids", certificate_type="csms_root_certificate"
        )
        returned = ids["response"]["certificateHashData"][0]
        _, deleted = await operator.command(
            "CP-16",
            "delete_certificate",
            issuer_name_hash=returned["issuerNameHash"],
            issuer_key_hash=returned["issuerKeyHash"],
            serial_number=returned["serialNumber"],
            hash_algorithm=returned["hashAlgorithm"],
        )
    assert installed_status == 201 and installed["status"] == "accepted"
    assert only(cp, "InstallCertificate") == {
        "certificateType": "CentralSystemRootCertificate",
        "certificate": PEM,
    }
    assert only(cp, "GetInstalledCertificateIds") == {
        "certificateType": "CentralSystemRootCertificate"
    }
    assert only(cp, "DeleteCertificate") == {"certificateHashData": returned}
    assert deleted["status"] == "accepted"


async def test_TC_M_16_certificate_signed_16(operator):
    """1.6 CertificateSigned: the chain (the Security extension has no type); a V2G
    certificate as Plug & Charge's DataTransfer."""
    async with station_on(operator.address, "CP-16", "1.6") as cp:
        status, command = await operator.command(
            "CP-16", "certificate_signed", certificate_chain=CHAIN
        )
        v2g_status, _ = await operator.command(
            "CP-16",
            "certificate_signed",
            certificate_chain=CHAIN,
            certificate_type="v2g_certificate",
        )
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "CertificateSigned") == {"certificateChain": CHAIN}
    # A V2G certificate goes the way OCA's Plug & Charge for 1.6 says: a DataTransfer.
    assert v2g_status == 201
    transfer = only(cp, "DataTransfer")
    assert (transfer["vendorId"], transfer["messageId"]) == (
        "org.openchargealliance.iso15118pnc",
        "CertificateSigned",
    )
    assert json.loads(transfer["data"])["certificateChain"] == CHAIN


@pytest.mark.parametrize(
    ("message", "certificate_type"),
    [
        ("SignChargingStationCertificate", "ChargingStationCertificate"),
        ("SignV2GCertificate", "V2GCertificate"),
    ],
)
async def test_UC_A02_CSMS_trigger_a_certificate_renewal(operator, message, certificate_type):
    """Renew a certificate by request of the CSMS (A02/A03): TriggerMessage with
    requestedMessage SignChargingStationCertificate / SignV2GCertificate; the
    SignCertificate request that follows is answered."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command("CP-1", "trigger_message", message=message)
        answer = await cp.call(
            call.SignCertificate(csr=CSR, certificate_type=certificate_type), suppress=False
        )
    assert status == 201 and command["status"] == "accepted", command
    assert only(cp, "TriggerMessage") == {"requestedMessage": message}
    assert answer.status in ("Accepted", "Rejected")
