"""ID tokens: the RFID cards, app tokens and groups stations ask ChargeNet to authorise."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdToken(models.Model):
    class Type(models.TextChoices):
        ISO14443 = "ISO14443"
        ISO15693 = "ISO15693"
        EMAID = "eMAID"
        KEY_CODE = "KeyCode"
        LOCAL = "Local"
        MAC_ADDRESS = "MacAddress"
        CENTRAL = "Central"
        NO_AUTHORIZATION = "NoAuthorization"

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        BLOCKED = "blocked", _("Blocked")
        EXPIRED = "expired", _("Expired")
        INVALID = "invalid", _("Invalid")

    # 2.1 idTokens hold up to 255 characters (1.6 idTags 20, 2.0.1 36).
    value = models.CharField(_("value"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=16, choices=Type, default=Type.ISO14443)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.ACCEPTED)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name=_("parent (group)"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="id_tokens",
        verbose_name=_("owner"),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value"]
        constraints = [
            # OCPP compares id tokens without regard to case.
            models.UniqueConstraint(Upper("value"), name="id_token_value_unique_any_case")
        ]
        verbose_name = _("ID token")
        verbose_name_plural = _("ID tokens")

    def __str__(self) -> str:
        return self.value

    def effective_status(self, now=None) -> str:
        """The status a station should be told: a past expiry answers Expired."""
        now = now or timezone.now()
        if self.status == self.Status.ACCEPTED and self.expires_at and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.status
