"""ChargeNet's certificate authority: check a station's CSR and sign it.

The CA is configured by file (OCPP_CA_CERT / OCPP_CA_KEY for the station's OCPP
certificate, OCPP_V2G_CA_CERT / OCPP_V2G_CA_KEY for its ISO 15118 one); without one
SignCertificate is refused. A CSR is signed only when it is well formed, its signature
proves the requester holds the key, and its subject names the station: the common name
is the station id (a charging station certificate; a V2G certificate's is the SECC's,
ISO 15118's business) and the organization the CSO's (OCPP_CA_ORGANIZATION, OCPP 2.0.1
A00.FR.4xx: "O" is the CSO's name).
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

CHARGING_STATION = "ChargingStationCertificate"
V2G = "V2GCertificate"
CERTIFICATE_TYPES = (CHARGING_STATION, V2G)
BACKDATE = timedelta(minutes=5)  # a station whose clock is a little behind accepts it


class CsrError(ValueError):
    """The CSR cannot be signed; the message says why (kept for the operator)."""


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: object  # the private key of `certificate`
    chain: str  # PEM: `certificate` and its issuers, sent after the signed certificate


_loaded: dict[tuple, Authority] = {}


def authority(certificate_type: str) -> Authority | None:
    """The CA configured for `certificate_type`, or None when there is none."""
    if certificate_type == V2G:
        cert_path, key_path = settings.OCPP_V2G_CA_CERT, settings.OCPP_V2G_CA_KEY
    else:
        cert_path, key_path = settings.OCPP_CA_CERT, settings.OCPP_CA_KEY
    if not cert_path or not key_path:
        return None
    paths = (Path(cert_path), Path(key_path))
    key = (*paths, *(path.stat().st_mtime_ns for path in paths))
    if key not in _loaded:
        chain = paths[0].read_bytes()
        private_key = serialization.load_pem_private_key(paths[1].read_bytes(), password=None)
        _loaded[key] = Authority(
            certificate=x509.load_pem_x509_certificates(chain)[0],
            key=private_key,
            chain=chain.decode().strip() + "\n",
        )
    return _loaded[key]


def _attribute(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def csr_check(
    pem: str, *, station_id: str, certificate_type: str, organization: str = ""
) -> x509.CertificateSigningRequest:
    """The CSR, if ChargeNet may sign it for this station; raises CsrError otherwise."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except (ValueError, UnicodeError):
        raise CsrError("Not a PEM-encoded certificate signing request (RFC 2986).") from None
    if not csr.is_signature_valid:
        raise CsrError("The CSR's signature does not match its public key.")
    common_name = _attribute(csr.subject, NameOID.COMMON_NAME)
    if certificate_type == CHARGING_STATION and common_name != station_id:
        raise CsrError(f"The CSR's common name {common_name!r} is not the station id.")
    subject_organization = _attribute(csr.subject, NameOID.ORGANIZATION_NAME)
    if organization and subject_organization != organization:
        raise CsrError(f"The CSR's organization {subject_organization!r} is not {organization!r}.")
    return csr


def csr_sign(
    csr: x509.CertificateSigningRequest, ca: Authority, certificate_type: str, days: int
) -> x509.Certificate:
    """A certificate for the CSR's subject and key, issued by `ca`, valid for `days`
    (never beyond the CA's own validity)."""
    now = datetime.now(UTC)
    not_after = min(now + timedelta(days=days), ca.certificate.not_valid_after_utc)
    # OCPP's station certificate authenticates a TLS client; ISO 15118's SECC a server.
    usage = (
        ExtendedKeyUsageOID.CLIENT_AUTH
        if certificate_type == CHARGING_STATION
        else ExtendedKeyUsageOID.SERVER_AUTH
    )
    public_key = csr.public_key()
    # Elliptic-curve keys agree on TLS keys, RSA keys encipher them.
    agrees = isinstance(public_key, ec.EllipticCurvePublicKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(secrets.randbits(127) | 1 << 126)  # 16 bytes, positive
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
                data_encipherment=False,
                key_agreement=agrees,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.certificate.public_key()),
            critical=False,
        )
    )
    edwards = isinstance(ca.key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey)
    return builder.sign(ca.key, None if edwards else hashes.SHA256())


def certificate_chain(certificate: x509.Certificate, ca: Authority) -> str:
    """PEM: the new certificate, then the CA's chain (OCPP's certificateChain)."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode() + ca.chain


def serial_hex(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "X")
