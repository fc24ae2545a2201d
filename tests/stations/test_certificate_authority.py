"""ChargeNet's CA and the certificate-status provider as functions: which CSRs are
signed and how, a CA that cannot be loaded, and a provider of the operator's own
answering an Authorize (the live end to end is tests/ocpp/test_certificates_live.py)."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.test import override_settings
from ocpp.v201 import call as call201

from stations.models import IssuedCertificate, StationEvent
from stations.pki import provider
from stations.pki.authority import (
    CHARGING_STATION,
    V2G,
    Authority,
    CsrError,
    csr_check,
    csr_sign,
)
from stations.pki.provider import CertificateStatusProvider
from stations.pki.signing import certificate_sign_request
from tests.support.charge_points import Station201, booted
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station
from tests.support.pki import ORGANIZATION, TestPki, csr, name, new_key

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def pki():
    return TestPki("")


def authority_of(pki) -> Authority:
    return Authority(pki.sub, pki.sub_key, "")


def test_a_csr_must_name_the_station_and_the_cso_and_prove_its_key():
    assert csr_check(csr("CP-1"), station_id="CP-1", certificate_type=CHARGING_STATION)
    with pytest.raises(CsrError, match="common name"):
        csr_check(csr("CP-2"), station_id="CP-1", certificate_type=CHARGING_STATION)
    with pytest.raises(CsrError, match="organization"):
        csr_check(
            csr("CP-1", "Else"),
            station_id="CP-1",
            certificate_type=CHARGING_STATION,
            organization=ORGANIZATION,
        )
    # A V2G certificate names the SECC; its organization is checked all the same.
    assert csr_check(
        csr("SECC-9"), station_id="CP-1", certificate_type=V2G, organization=ORGANIZATION
    )
    with pytest.raises(CsrError, match="PEM"):
        csr_check("not a csr", station_id="CP-1", certificate_type=CHARGING_STATION)


def test_a_csr_whose_signature_does_not_match_its_key_is_refused():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = bytearray(
        x509.load_pem_x509_csr(csr("CP-1", key=key).encode()).public_bytes(
            serialization.Encoding.DER
        )
    )
    der[-20] ^= 0xFF  # inside the RSA signature: still well-formed DER
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    with pytest.raises(CsrError, match="signature"):
        csr_check(tampered.decode(), station_id="CP-1", certificate_type=CHARGING_STATION)


def test_the_certificate_is_the_csr_subject_and_key_for_its_use(pki):
    key = new_key()
    request = csr_check(csr("CP-1", key=key), station_id="CP-1", certificate_type=CHARGING_STATION)
    certificate = csr_sign(request, authority_of(pki), CHARGING_STATION, 30)
    certificate.verify_directly_issued_by(pki.sub)
    assert certificate.subject == name("CP-1")
    assert certificate.not_valid_after_utc - datetime.now(UTC) < timedelta(days=30, minutes=1)
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is False
    secc = csr_sign(
        csr_check(csr("SECC-1"), station_id="CP-1", certificate_type=V2G),
        authority_of(pki),
        V2G,
        30,
    )
    usage = secc.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    # Never valid beyond the CA that signed it.
    long = csr_sign(request, authority_of(pki), CHARGING_STATION, 100_000)
    assert long.not_valid_after_utc == pki.sub.not_valid_after_utc


def test_a_ca_that_cannot_be_loaded_rejects_and_issues_nothing(station, tmp_path):
    (tmp_path / "ca.pem").write_text("not a certificate")
    (tmp_path / "ca.key").write_text("not a key")
    with override_settings(
        OCPP_CA_CERT=str(tmp_path / "ca.pem"), OCPP_CA_KEY=str(tmp_path / "ca.key")
    ):
        answer = certificate_sign_request(station_pk=station.pk, csr=csr("CP-1"))
    assert (answer.status, answer.reason) == ("Rejected", "NoCA")
    assert not IssuedCertificate.objects.exists()


class CancellingProvider(CertificateStatusProvider):
    """An operator's own provider: every contract is cancelled, every OCSP answer fixed."""

    def check_ocsp(self, ocsp_request_data):
        return provider.OcspAnswer("Accepted", base64.b64encode(b"ocsp").decode())

    def contract_status(self, hash_data, certificate=""):
        return provider.CONTRACT_CANCELLED


HASH = {
    "hash_algorithm": "SHA256",
    "issuer_name_hash": "a" * 64,
    "issuer_key_hash": "b" * 64,
    "serial_number": "01",
    "responder_url": "http://127.0.0.1:9/",
}


@pytest.mark.django_db(transaction=True)
@override_settings(OCPP_CERTIFICATE_PROVIDER=f"{__name__}.CancellingProvider")
async def test_the_configured_provider_answers(station, token):
    async with connected_station("CP-1", STATION_PASSWORD, "ocpp2.0.1", Station201) as (cp, _):
        await booted(cp, "2.0.1")
        authorized = await cp.call(
            call201.Authorize(
                id_token={"id_token": "TAG-0001", "type": "ISO14443"},
                iso15118_certificate_hash_data=[HASH],
            )
        )
        status = await cp.call(call201.GetCertificateStatus(ocsp_request_data=HASH))
        contract = await cp.call(
            call201.Get15118EVCertificate(
                iso15118_schema_version="urn:iso:15118:2:2013:MsgDef",
                action="Install",
                exi_request="AAEC",
            )
        )
    assert authorized.certificate_status == "ContractCancelled"
    assert authorized.id_token_info["status"] == "Invalid"
    assert (status.status, status.ocsp_result) == ("Accepted", base64.b64encode(b"ocsp").decode())
    # The interface's default: no contract certificate to give.
    assert (contract.status, contract.exi_response) == ("Failed", "")
    refused = await StationEvent.objects.aget(kind="ContractCertificate")
    assert refused.status == "ContractCancelled"
