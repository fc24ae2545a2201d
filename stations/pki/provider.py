"""The certificate-status provider: what ChargeNet asks a PKI on a station's behalf.

OCPP 2.0.1 lets a station ask the CSMS for an OCSP answer it cannot fetch itself
(GetCertificateStatus, M06), for an ISO 15118 contract certificate
(Get15118EVCertificate, M01/M02), and to check a contract certificate when an EV
authorizes with it (Authorize with iso15118CertificateHashData or certificate, C07).
Who answers depends on the operator's PKI: `OCPP_CERTIFICATE_PROVIDER` names a class
with the three methods below (default: stations.pki.local.LocalCertificateProvider).
Methods run on a database thread and may block on the network; they never raise for
a PKI that cannot be reached: they answer Failed (or the status that says so).

Hash data is a list of dicts with OCPP's OCSPRequestDataType fields in snake_case:
`hash_algorithm` (SHA256, SHA384, SHA512), `issuer_name_hash`, `issuer_key_hash`
(hex), `serial_number` (hex) and `responder_url`.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

# Authorize's certificateStatus (AuthorizeCertificateStatusEnumType).
ACCEPTED = "Accepted"
SIGNATURE_ERROR = "SignatureError"
CERTIFICATE_EXPIRED = "CertificateExpired"
CERTIFICATE_REVOKED = "CertificateRevoked"
NO_CERTIFICATE_AVAILABLE = "NoCertificateAvailable"
CERT_CHAIN_ERROR = "CertChainError"
CONTRACT_CANCELLED = "ContractCancelled"
CERTIFICATE_STATUSES = frozenset(
    {
        ACCEPTED,
        SIGNATURE_ERROR,
        CERTIFICATE_EXPIRED,
        CERTIFICATE_REVOKED,
        NO_CERTIFICATE_AVAILABLE,
        CERT_CHAIN_ERROR,
        CONTRACT_CANCELLED,
    }
)


@dataclass(frozen=True)
class OcspAnswer:
    status: str  # Accepted | Failed (GetCertificateStatusEnumType)
    ocsp_result: str = ""  # the responder's OCSPResponse, DER, base64


@dataclass(frozen=True)
class ContractAnswer:
    status: str  # Accepted | Failed (Iso15118EVCertificateStatusEnumType)
    exi_response: str = ""  # base64 EXI, the ISO 15118 CertificateInstallation/UpdateRes


class CertificateStatusProvider:
    """The interface; a provider overrides all three (the defaults answer Failed)."""

    def check_ocsp(self, ocsp_request_data: dict) -> OcspAnswer:
        """The OCSP answer for one certificate (GetCertificateStatus)."""
        return OcspAnswer("Failed")

    def contract_certificate(
        self, exi_request: str, iso15118_schema_version: str, action: str
    ) -> ContractAnswer:
        """An EV's contract certificate, installed (action Install) or updated (Update)."""
        return ContractAnswer("Failed")

    def contract_status(self, hash_data: list[dict], certificate: str = "") -> str:
        """A contract certificate's status: one of CERTIFICATE_STATUSES.

        `hash_data`: the chain's hash data as the station sent it (leaf first), or empty
        when the station sent the certificate (`certificate`, PEM) instead.
        """
        return NO_CERTIFICATE_AVAILABLE


_providers: dict[str, CertificateStatusProvider] = {}


def certificate_provider() -> CertificateStatusProvider:
    """The configured provider (OCPP_CERTIFICATE_PROVIDER), made once per class path."""
    path = settings.OCPP_CERTIFICATE_PROVIDER
    if path not in _providers:
        _providers[path] = import_string(path)()
    return _providers[path]
