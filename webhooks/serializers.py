"""API v1 serializers: webhook subscriptions, their deliveries, the audit log."""

from urllib.parse import urlsplit

from rest_framework import serializers

from webhooks.models import (
    SUBSCRIBABLE_KINDS,
    AuditEntry,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(
        source="owner.get_username", read_only=True, help_text="Who created it."
    )
    url = serializers.URLField(
        max_length=500, help_text="Where events are POSTed; http:// or https://."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE_KINDS),
        allow_empty=False,
        help_text="Event kinds to deliver.",
    )
    secret = serializers.CharField(
        read_only=True,
        help_text="Key of the HMAC-SHA256 signature (X-ChargeNet-Signature); generated on "
        "create, new one with POST .../rotate-secret/.",
    )
    active = serializers.BooleanField(
        required=False,
        help_text="Receives events. Set back to true to re-enable a disabled subscription.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "description",
            "active",
            "secret",
            "owner",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "id": {"help_text": "The subscription's id."},
            "description": {"help_text": "A note for people (what this receiver is)."},
            "consecutive_failures": {"help_text": "Failed attempts in a row; reset by success."},
            "disabled_at": {"help_text": "When it was disabled after repeated failures."},
            "disabled_reason": {"help_text": "Why it was disabled."},
            "created_at": {"help_text": "When it was created."},
            "updated_at": {"help_text": "When it was last changed."},
        }

    def validate_url(self, value: str) -> str:
        if urlsplit(value).scheme not in {"http", "https"}:
            raise serializers.ValidationError("Only http:// and https:// URLs are allowed.")
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def update(self, instance, validated_data):
        if validated_data.get("active") and not instance.active:
            validated_data.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
        return super().update(instance, validated_data)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempt", "status_code", "error", "duration_ms", "created_at"]
        extra_kwargs = {
            "attempt": {"help_text": "1 for the first POST, 2 for the first retry, ..."},
            "status_code": {"help_text": "The receiver's HTTP status; null if none came."},
            "error": {"help_text": "Why the attempt failed (empty on success)."},
            "duration_ms": {"help_text": "How long the POST took, in milliseconds."},
            "created_at": {"help_text": "When the attempt ended."},
        }


class WebhookDeliverySerializer(serializers.ModelSerializer):
    log = WebhookAttemptSerializer(many=True, read_only=True, help_text="Every attempt.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "kind",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "finished_at",
            "log",
        ]
        extra_kwargs = {
            "id": {"help_text": "The delivery's id."},
            "event_id": {"help_text": "The event's id (X-ChargeNet-Delivery), same on retries."},
            "kind": {"help_text": "The event kind."},
            "status": {"help_text": "pending, retrying, succeeded, failed or cancelled."},
            "attempts": {"help_text": "POSTs made so far."},
            "last_status_code": {"help_text": "The last answer's HTTP status."},
            "last_error": {"help_text": "The last failure."},
            "next_attempt_at": {"help_text": "When the next retry is due."},
            "created_at": {"help_text": "When the event happened."},
            "finished_at": {"help_text": "When it succeeded or was given up."},
        }


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "username",
            "method",
            "path",
            "resource",
            "object_id",
            "status_code",
            "remote_addr",
        ]
        extra_kwargs = {
            "id": {"help_text": "The entry's id."},
            "created_at": {"help_text": "When the request was answered."},
            "username": {"help_text": "Who made the request (empty if not authenticated)."},
            "method": {"help_text": "POST, PUT, PATCH or DELETE."},
            "path": {"help_text": "The request path."},
            "resource": {"help_text": "The API route's name, e.g. station-detail."},
            "object_id": {"help_text": "The changed object's id, when known."},
            "status_code": {"help_text": "The HTTP status of the answer."},
            "remote_addr": {"help_text": "The client's IP address."},
        }
