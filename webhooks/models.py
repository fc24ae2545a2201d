"""Webhook subscriptions, their deliveries and attempts; the API write audit log."""

import secrets
import uuid

from django.conf import settings
from django.db import models

# The events an integrator can subscribe to (README / docs/api.md "Webhooks").
EVENT_KINDS = {
    "station.connected": "A station connected or disconnected.",
    "connector.status": "A connector's status changed (Available, Charging, Faulted, ...).",
    "session.started": "A charging session started.",
    "session.updated": "An active session has new meter values.",
    "session.ended": "A charging session ended.",
    "session.priced": "An ended session has been priced.",
    "command.finished": "A command sent to a station has its outcome.",
    "invoice.issued": "An invoice was issued.",
    "alarm.raised": "An alarm was raised (station offline, connector faulted, sessions "
    "failing in a row, overload, over-temperature).",
    "alarm.cleared": "An alarm's cause ended.",
    "ping": "A test event sent by POST /api/v1/webhooks/<id>/ping/.",
}
SUBSCRIBABLE_KINDS = sorted(kind for kind in EVENT_KINDS if kind != "ping")


def new_secret() -> str:
    return secrets.token_hex(32)


class WebhookSubscription(models.Model):
    """A URL that receives signed POSTs for the event kinds it names."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text="The user who created the subscription.",
    )
    url = models.URLField(max_length=500, help_text="Where events are POSTed (http or https).")
    secret = models.CharField(
        max_length=128,
        default=new_secret,
        help_text="Key for the HMAC-SHA256 signature of every delivery.",
    )
    events = models.JSONField(default=list, help_text="Event kinds delivered to this URL.")
    description = models.CharField(max_length=200, blank=True, default="")
    active = models.BooleanField(
        default=True,
        help_text="Inactive subscriptions receive nothing.",
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, kind: str) -> bool:
        return kind == "ping" or kind in self.events


class WebhookDelivery(models.Model):
    """One event for one subscription; retried until delivered or given up."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RETRYING = "retrying"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    kind = models.CharField(max_length=40)
    body = models.TextField(help_text="The exact JSON body POSTed (and signed).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["subscription", "-id"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.kind} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP POST of a delivery: the log an integrator reads to debug a receiver."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attempt"]

    def __str__(self) -> str:
        return f"attempt {self.attempt}: {self.status_code or self.error}"


class AuditEntry(models.Model):
    """One write request to the API: who, what, when, and how it ended."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, default="")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    resource = models.CharField(max_length=100, blank=True, default="")
    object_id = models.CharField(max_length=255, blank=True, default="")
    status_code = models.PositiveIntegerField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.username or '-'} {self.method} {self.path} {self.status_code}"
