"""SignCertificate: a station's CSR signed by ChargeNet's CA (OCPP 2.0.1 A02/A03, the
1.6 security extension's "Certificate management").

The answer is given at once: Accepted once the CSR is checked, signed and the
certificate stored; Rejected with no CA configured for the type or a CSR ChargeNet will
not sign (the reason is kept as a station event). The certificate goes to the station
in a CertificateSigned after the answer: a task queued once the row is committed sends
it as a command (stations/pki/delivery.py), so it is tracked and its outcome stored.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from chargenet.celery import enqueue_on_commit
from stations.models import ChargingStation, IssuedCertificate
from stations.pki.authority import (
    CERTIFICATE_TYPES,
    CHARGING_STATION,
    CsrError,
    authority,
    certificate_chain,
    csr_check,
    csr_sign,
    serial_hex,
)
from stations.services.status import station_event_record

logger = logging.getLogger(__name__)

EVENT = "SignCertificate"


@dataclass(frozen=True)
class SigningAnswer:
    status: str  # Accepted | Rejected
    reason: str = ""  # why it was rejected, for the station's statusInfo and the operator


def certificate_sign_request(
    *, station_pk: int, csr: str, certificate_type: str = ""
) -> SigningAnswer:
    """Check and sign a station's CSR; queue its CertificateSigned when accepted.

    An omitted type is the station's OCPP certificate (1.6 knows no other; in 2.0.1 it
    serves both connections, A02).
    """
    certificate_type = certificate_type or CHARGING_STATION
    if certificate_type not in CERTIFICATE_TYPES:
        return _rejected(station_pk, certificate_type, "UnsupportedType", "Unknown type.")
    try:
        ca = authority(certificate_type)
    except (OSError, ValueError, TypeError):
        # A CA file that cannot be read is the operator's to fix; the station is told no.
        logger.exception("The certificate authority for %s cannot be loaded", certificate_type)
        ca = None
    if ca is None:
        return _rejected(
            station_pk, certificate_type, "NoCA", "No certificate authority is configured."
        )
    station_id = ChargingStation.objects.values_list("station_id", flat=True).get(pk=station_pk)
    try:
        request = csr_check(
            csr,
            station_id=station_id,
            certificate_type=certificate_type,
            organization=settings.OCPP_CA_ORGANIZATION,
        )
    except CsrError as error:
        return _rejected(station_pk, certificate_type, "InvalidCSR", str(error))
    certificate = csr_sign(request, ca, certificate_type, settings.OCPP_CERTIFICATE_DAYS)
    with transaction.atomic():
        issued = IssuedCertificate.objects.create(
            station_id=station_pk,
            certificate_type=certificate_type,
            serial_number=serial_hex(certificate),
            subject=certificate.subject.rfc4514_string()[:400],
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            certificate_chain=certificate_chain(certificate, ca),
        )
        station_event_record(
            station_pk=station_pk,
            kind=EVENT,
            status="Accepted",
            data={"certificate_type": certificate_type, "issued_certificate": issued.pk},
        )
        enqueue_on_commit("stations.tasks.send_signed_certificate", issued.pk)
    return SigningAnswer("Accepted")


def _rejected(station_pk: int, certificate_type: str, reason: str, detail: str) -> SigningAnswer:
    station_event_record(
        station_pk=station_pk,
        kind=EVENT,
        status="Rejected",
        data={"certificate_type": certificate_type, "reason": reason, "detail": detail},
    )
    return SigningAnswer("Rejected", reason)
