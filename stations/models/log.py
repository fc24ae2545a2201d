"""What stations said: the OCPP message log and the events operators should see."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.network import ChargingStation


class OcppMessage(models.Model):
    """One OCPP-J frame in or out, kept OCPP_MESSAGE_RETENTION_DAYS for diagnosis."""

    class Direction(models.TextChoices):
        IN = "in", _("station → ChargeNet")
        OUT = "out", _("ChargeNet → station")

    station = models.ForeignKey(
        ChargingStation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    direction = models.CharField(max_length=3, choices=Direction)
    message_type = models.PositiveSmallIntegerField(null=True, blank=True)
    action = models.CharField(max_length=60, blank=True)
    unique_id = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    payload = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["station", "-created_at"]),
            models.Index(fields=["created_at"]),
        ]
        verbose_name = _("OCPP message")
        verbose_name_plural = _("OCPP messages")

    def __str__(self) -> str:
        return f"{self.direction} {self.action or self.message_type} {self.unique_id}"


class StationEvent(models.Model):
    """A notification an operator should see: firmware, diagnostics, security, data."""

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, db_index=True)
    status = models.CharField(max_length=60, blank=True)
    timestamp = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [models.Index(fields=["station", "-timestamp"])]
        verbose_name = _("station event")
        verbose_name_plural = _("station events")

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"
