"""The default certificate-status provider: real OCSP over HTTP, contract certificates
from a configured service.

- OCSP (RFC 6960): the request is built from the station's hash data (or from the
  certificate and its issuer) and POSTed to OCPP_OCSP_RESPONDER_URL, or, when that is
  empty, to the responder URL the station names (hash data) or the certificate's
  Authority Information Access names. An answer whose certificate ids are not the
  ones asked about counts as no answer.
- Contract certificates: the station's EXI request is POSTed as JSON
  (`{"iso15118SchemaVersion", "action", "exiRequest"}`) to OCPP_CONTRACT_CERTIFICATE_URL,
  which answers `{"status": "Accepted", "exiResponse": "<base64 EXI>"}` (e.g. an eMSP's
  or a contract-certificate pool's adapter); with no URL there is none to give.
- A contract certificate the station sends whole (Authorize `certificate`) is checked
  here first: in its validity period, signed by its issuer (from the chain sent, or the
  trusted V2G/MO roots and sub-CAs in OCPP_CONTRACT_ROOTS), then by OCSP.
- An OCSP answer that decides an Authorize must be signed by the certificate's issuer
  or a responder the issuer delegated (RFC 6960 §4.2.2.2), when ChargeNet knows the
  issuer (the chain sent, or OCPP_CONTRACT_ROOTS): a responder URL comes from the
  station, so an unsigned "good" must not open a charge. With no roots configured the
  responder is trusted as it is.
"""

import base64
import binascii
import json
import logging
import urllib.request
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, ExtensionOID
from django.conf import settings

from stations.pki.provider import (
    ACCEPTED,
    CERT_CHAIN_ERROR,
    CERTIFICATE_EXPIRED,
    CERTIFICATE_REVOKED,
    NO_CERTIFICATE_AVAILABLE,
    SIGNATURE_ERROR,
    CertificateStatusProvider,
    ContractAnswer,
    OcspAnswer,
)

logger = logging.getLogger(__name__)

HASHES = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}
MAX_ANSWER = 64 * 1024  # bytes of an OCSP or contract-certificate answer read
# One certificate's OCSP status as Authorize's certificateStatus.
OCSP_STATUSES = {
    ocsp.OCSPCertStatus.GOOD: ACCEPTED,
    ocsp.OCSPCertStatus.REVOKED: CERTIFICATE_REVOKED,
    # Unknown to the responder: not a certificate of the CA it answers for.
    ocsp.OCSPCertStatus.UNKNOWN: CERT_CHAIN_ERROR,
}


class PkiUnreachable(Exception):
    """No usable answer from the OCSP responder or the contract-certificate service."""


def _post(url: str, body: bytes, content_type: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise PkiUnreachable(f"Not an HTTP URL: {url!r}")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.OCPP_PKI_TIMEOUT) as answer:  # noqa: S310 - http(s) only, checked above
            return answer.read(MAX_ANSWER)
    except (OSError, ValueError) as error:
        raise PkiUnreachable(str(error)) from error


def _digest(value: str, size: int) -> bytes:
    """A hash as OCPP sends it: hex (the spec's examples), or base64."""
    text = str(value).strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != size:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if len(raw) != size:
        raise ValueError(f"Not a {size}-byte hash: {text[:20]!r}")
    return raw


def request_from_hash_data(data: dict) -> ocsp.OCSPRequest:
    """An OCSP request for one OCSPRequestDataType; raises ValueError for bad data."""
    algorithm = HASHES.get(str(data.get("hash_algorithm", "")))
    if algorithm is None:
        raise ValueError("Unknown hash algorithm.")
    size = algorithm.digest_size
    serial = int(str(data.get("serial_number", "")).strip(), 16)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        _digest(data.get("issuer_name_hash", ""), size),
        _digest(data.get("issuer_key_hash", ""), size),
        serial,
        algorithm(),
    )
    return builder.build()


def ocsp_fetch(request: ocsp.OCSPRequest, url: str) -> ocsp.OCSPResponse:
    """The responder's answer about the request's certificate; PkiUnreachable when
    there is none, or it failed, or it names another certificate."""
    body = _post(
        settings.OCPP_OCSP_RESPONDER_URL or url,
        request.public_bytes(serialization.Encoding.DER),
        "application/ocsp-request",
    )
    try:
        response = ocsp.load_der_ocsp_response(body)
    except ValueError as error:
        raise PkiUnreachable("Not an OCSP response.") from error
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise PkiUnreachable(f"OCSP responder answered {response.response_status.name}.")
    if not any(_same_certificate(request, single) for single in response.responses):
        raise PkiUnreachable("The OCSP response is about another certificate.")
    return response


def _same_certificate(request: ocsp.OCSPRequest, single) -> bool:
    return (
        single.serial_number == request.serial_number
        and single.issuer_key_hash == request.issuer_key_hash
        and single.issuer_name_hash == request.issuer_name_hash
    )


def _status_of(request: ocsp.OCSPRequest, response: ocsp.OCSPResponse) -> str:
    for single in response.responses:
        if _same_certificate(request, single):
            return OCSP_STATUSES[single.certificate_status]
    return CERT_CHAIN_ERROR


class LocalCertificateProvider(CertificateStatusProvider):
    def check_ocsp(self, ocsp_request_data: dict) -> OcspAnswer:
        try:
            request = request_from_hash_data(ocsp_request_data)
            response = ocsp_fetch(request, str(ocsp_request_data.get("responder_url", "")))
        except (ValueError, PkiUnreachable) as error:
            logger.info("No OCSP answer for a station: %s", error)
            return OcspAnswer("Failed")
        der = response.public_bytes(serialization.Encoding.DER)
        return OcspAnswer("Accepted", base64.b64encode(der).decode())

    def contract_certificate(
        self, exi_request: str, iso15118_schema_version: str, action: str
    ) -> ContractAnswer:
        url = settings.OCPP_CONTRACT_CERTIFICATE_URL
        if not url:
            return ContractAnswer("Failed")
        body = json.dumps(
            {
                "iso15118SchemaVersion": iso15118_schema_version,
                "action": action,
                "exiRequest": exi_request,
            }
        ).encode()
        try:
            answer = json.loads(_post(url, body, "application/json"))
        except (PkiUnreachable, ValueError) as error:
            logger.info("No contract certificate: %s", error)
            return ContractAnswer("Failed")
        if not isinstance(answer, dict):
            return ContractAnswer("Failed")
        exi = answer.get("exiResponse")
        if answer.get("status") != "Accepted" or not isinstance(exi, str) or not exi:
            return ContractAnswer("Failed")
        return ContractAnswer("Accepted", exi)

    def contract_status(self, hash_data: list[dict], certificate: str = "") -> str:
        if hash_data:
            return _hash_data_status(hash_data)
        if certificate:
            return _certificate_status(certificate)
        return NO_CERTIFICATE_AVAILABLE


def _hash_data_status(hash_data: list[dict]) -> str:
    """Every certificate of the chain must be good; the first that is not decides."""
    for data in hash_data:
        try:
            request = request_from_hash_data(data)
        except ValueError:
            return CERT_CHAIN_ERROR
        try:
            response = ocsp_fetch(request, str(data.get("responder_url", "")))
            _verified(response, _trusted_issuer(request))
        except PkiUnreachable as error:
            logger.info("Contract certificate not checked: %s", error)
            return NO_CERTIFICATE_AVAILABLE
        status = _status_of(request, response)
        if status != ACCEPTED:
            return status
    return ACCEPTED


def _trusted() -> list[x509.Certificate]:
    path = settings.OCPP_CONTRACT_ROOTS
    if not path:
        return []
    with open(path, "rb") as file:
        return x509.load_pem_x509_certificates(file.read())


def _ocsp_url(certificate: x509.Certificate) -> str:
    try:
        access = certificate.extensions.get_extension_for_oid(
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS
        ).value
    except x509.ExtensionNotFound:
        return ""
    for description in access:
        if description.access_method == AuthorityInformationAccessOID.OCSP:
            return str(description.access_location.value)
    return ""


def _certificate_status(pem: str) -> str:
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        return CERT_CHAIN_ERROR
    leaf, now = chain[0], datetime.now(UTC)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        return CERTIFICATE_EXPIRED
    issuers = [c for c in [*chain[1:], *_trusted()] if c.subject == leaf.issuer]
    if not issuers:
        return CERT_CHAIN_ERROR
    issuer = issuers[0]
    try:
        leaf.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return SIGNATURE_ERROR
    url = settings.OCPP_OCSP_RESPONDER_URL or _ocsp_url(leaf)
    if not url:
        return NO_CERTIFICATE_AVAILABLE
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA256()).build()
    try:
        response = ocsp_fetch(request, url)
        _verified(response, issuer)
    except PkiUnreachable as error:
        logger.info("Contract certificate not checked: %s", error)
        return NO_CERTIFICATE_AVAILABLE
    return _status_of(request, response)


def _key_hash(certificate: x509.Certificate, algorithm) -> bytes:
    """Hash of the certificate's public key, as an OCSP CertID names its issuer: the
    CertID cryptography makes with the certificate as issuer (of itself) says it."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, algorithm)
    return builder.build().issuer_key_hash


def _trusted_issuer(request: ocsp.OCSPRequest) -> x509.Certificate | None:
    """The trusted certificate a CertID names as issuer, if ChargeNet holds it."""
    for candidate in _trusted():
        if _key_hash(candidate, request.hash_algorithm) == request.issuer_key_hash:
            return candidate
    return None


def _verified(response: ocsp.OCSPResponse, issuer: x509.Certificate | None) -> None:
    """Raise PkiUnreachable unless the issuer, or a responder it delegated, signed it.

    Unchecked when the issuer is unknown and no roots are configured (see above)."""
    if issuer is None:
        if settings.OCPP_CONTRACT_ROOTS:
            raise PkiUnreachable("The OCSP answer's issuer is not trusted.")
        return
    for signer in (issuer, *response.certificates):
        if signer != issuer and not _delegated(signer, issuer):
            continue
        if _signed_by(response, signer):
            return
    raise PkiUnreachable("The OCSP answer is not signed by the issuer or its responder.")


def _delegated(responder: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        responder.verify_directly_issued_by(issuer)
        usage = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (InvalidSignature, ValueError, TypeError, x509.ExtensionNotFound):
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in usage


def _signed_by(response: ocsp.OCSPResponse, signer: x509.Certificate) -> bool:
    key, algorithm = signer.public_key(), response.signature_hash_algorithm
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(
                response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm
            )
        else:
            key.verify(response.signature, response.tbs_response_bytes)
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True
