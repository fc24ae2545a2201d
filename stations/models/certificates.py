"""Certificates ChargeNet's certificate authority issued to stations (SignCertificate)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from stations.models.commands import Command
from stations.models.network import ChargingStation


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
