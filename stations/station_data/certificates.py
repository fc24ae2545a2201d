"""Certificates installed on a station, named by their hash data (OCPP 2.0.1 M,
1.6 Security extension).

A certificate dict holds InstalledCertificate fields: certificate_type (neutral:
csms_root_certificate, manufacturer_root_certificate, v2g_root_certificate,
mo_root_certificate, v2g_certificate_chain), hash_algorithm, issuer_name_hash,
issuer_key_hash, serial_number, and `children` (the chain's other certificates).
"""

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp
from django.db import transaction
from django.utils import timezone

from stations.models import InstalledCertificate
from stations.station_data.common import held_changed

HASH_FIELDS = ("hash_algorithm", "issuer_name_hash", "issuer_key_hash", "serial_number")
_HASHES = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


def _hash_key(certificate: dict) -> dict:
    return {name: str(certificate[name]) for name in HASH_FIELDS}


@transaction.atomic
def certificates_listed(
    *, station_pk: int, certificate_types: list[str] | None, certificates: list[dict]
) -> int:
    """What GetInstalledCertificateIds listed: the station holds exactly these of the
    types asked for (None: of every type). Returns how many certificates it holds."""
    held = InstalledCertificate.objects.filter(station_id=station_pk)
    if certificate_types is not None:
        held = held.filter(certificate_type__in=certificate_types)
    held.delete()
    held_changed(station_pk, "certificates")
    now, count = timezone.now(), 0
    for certificate in certificates:
        leaf = InstalledCertificate.objects.update_or_create(
            station_id=station_pk,
            **_hash_key(certificate),
            defaults={"certificate_type": certificate["certificate_type"], "updated_at": now},
        )[0]
        count += 1
        for child in certificate.get("children") or []:
            InstalledCertificate.objects.update_or_create(
                station_id=station_pk,
                **_hash_key(child),
                defaults={
                    "certificate_type": certificate["certificate_type"],
                    "parent": leaf,
                    "updated_at": now,
                },
            )
            count += 1
    return count


def certificate_hash_data(pem: str, algorithm: str = "SHA256") -> dict | None:
    """The OCPP hash data of a self-signed (root) certificate in PEM, or None when it
    cannot be read or its issuer's key is not in it."""
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except (ValueError, TypeError, UnicodeError):
        return None
    if certificate.issuer != certificate.subject:
        return None  # the issuer's key, which issuerKeyHash hashes, is not at hand
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, certificate, _HASHES[algorithm]())
        .build()
    )
    return {
        "hash_algorithm": algorithm,
        "issuer_name_hash": request.issuer_name_hash.hex(),
        "issuer_key_hash": request.issuer_key_hash.hex(),
        "serial_number": format(request.serial_number, "x"),
    }


def certificate_installed(*, station_pk: int, certificate_type: str, certificate: str) -> bool:
    """A root certificate the station accepted to install; stored when its hash data
    can be computed (a root certificate is self-signed), else left to the next list."""
    data = certificate_hash_data(certificate)
    if data is None:
        return False
    InstalledCertificate.objects.update_or_create(
        station_id=station_pk,
        **data,
        defaults={"certificate_type": certificate_type, "updated_at": timezone.now()},
    )
    held_changed(station_pk, "certificates")
    return True


def certificate_deleted(*, station_pk: int, hash_data: dict) -> int:
    """The station deleted the certificate (or holds none with that hash data)."""
    key = _hash_key(hash_data)
    # Hashes are hex: whatever case ChargeNet sent, the row's case may differ.
    held = InstalledCertificate.objects.filter(
        station_id=station_pk,
        hash_algorithm=key["hash_algorithm"],
        issuer_name_hash__iexact=key["issuer_name_hash"],
        issuer_key_hash__iexact=key["issuer_key_hash"],
        serial_number__iexact=key["serial_number"],
    )
    held_changed(station_pk, "certificates")
    return held.delete()[0]
