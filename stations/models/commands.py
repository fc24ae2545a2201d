"""Calls ChargeNet makes to stations, and the diagnostics files they upload in answer."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.network import ChargingStation
from stations.models.sessions import ChargingSession


class Command(models.Model):
    """A CSMS-initiated call to a station (reset, remote start, ...) and its outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        TIMEOUT = "timeout", _("Timed out")
        OFFLINE = "offline", _("Station offline")

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="commands")
    action = models.CharField(_("action"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    ocpp_action = models.CharField(_("OCPP message"), max_length=60, blank=True)
    response = models.JSONField(_("station's answer"), null=True, blank=True)
    error = models.JSONField(_("error"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="station_commands",
    )
    # The session a remote start led to.
    session = models.ForeignKey(
        ChargingSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commands",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["station", "-created_at"])]
        verbose_name = _("command")
        verbose_name_plural = _("commands")

    def __str__(self) -> str:
        return f"{self.action} → {self.station.station_id}: {self.status}"


class DiagnosticsUpload(models.Model):
    """Where a station uploads the file a get_diagnostics command asked for."""

    command = models.OneToOneField(Command, on_delete=models.CASCADE, related_name="upload")
    # Part of the upload URL: whoever knows it may upload, so it is unguessable.
    token = models.CharField(max_length=64, unique=True)
    file = models.FileField(upload_to="diagnostics/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("diagnostics upload")
        verbose_name_plural = _("diagnostics uploads")

    def __str__(self) -> str:
        return self.filename or f"upload for command {self.command_id}"
