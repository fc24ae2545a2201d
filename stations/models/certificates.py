"""Certificates on stations: those a station holds (by the hash data OCPP names them
with), and those ChargeNet's certificate authority issued to stations (SignCertificate)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.commands import Command
from stations.models.network import ChargingStation


class InstalledCertificate(models.Model):
    """A certificate a station holds (GetInstalledCertificateIds, InstallCertificate).

    `certificate_type` is version-neutral: csms_root_certificate,
    manufacturer_root_certificate, v2g_root_certificate, mo_root_certificate,
    v2g_certificate_chain. A child of a V2G chain names its chain's leaf in `parent`.
    """

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="installed_certificates"
    )
    certificate_type = models.CharField(_("type"), max_length=40)
    hash_algorithm = models.CharField(_("hash algorithm"), max_length=10)
    issuer_name_hash = models.CharField(_("issuer name hash"), max_length=128)
    issuer_key_hash = models.CharField(_("issuer key hash"), max_length=128)
    serial_number = models.CharField(_("serial number"), max_length=40)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["certificate_type", "serial_number"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "station",
                    "hash_algorithm",
                    "issuer_name_hash",
                    "issuer_key_hash",
                    "serial_number",
                ],
                name="installed_certificate_unique",
            )
        ]
        verbose_name = _("installed certificate")
        verbose_name_plural = _("installed certificates")

    def __str__(self) -> str:
        return f"{self.certificate_type} {self.serial_number}"


class IssuedCertificate(models.Model):
    class Type(models.TextChoices):
        CHARGING_STATION = "ChargingStationCertificate", _("Charging station (OCPP)")
        V2G = "V2GCertificate", _("V2G (ISO 15118)")

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="issued_certificates"
    )
    certificate_type = models.CharField(_("type"), max_length=30, choices=Type)
    # Hexadecimal, as OCPP's CertificateHashData names a serial number.
    serial_number = models.CharField(_("serial number"), max_length=64, db_index=True)
    subject = models.CharField(_("subject"), max_length=400)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    # The chain sent in CertificateSigned: the certificate first, then its issuers.
    certificate_chain = models.TextField(_("certificate chain (PEM)"))
    # The CertificateSigned command that delivered it (none yet: being sent).
    command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("issued certificate")
        verbose_name_plural = _("issued certificates")

    def __str__(self) -> str:
        return f"{self.subject} ({self.serial_number})"
