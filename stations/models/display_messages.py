"""Messages a station shows its drivers (OCPP 2.0.1 display messages)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.network import ChargingStation


class DisplayMessage(models.Model):
    """One display message a station holds, as set by ChargeNet or reported by it.

    `contents` is the text in each language it carries: [{format, language, content}]
    (2.0.1 carries one text per message, 2.1 more).
    """

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="display_messages"
    )
    message_id = models.IntegerField(_("message id"))
    priority = models.CharField(_("priority"), max_length=20)
    state = models.CharField(_("state"), max_length=20, blank=True)
    starts_at = models.DateTimeField(_("from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    transaction_id = models.CharField(_("transaction"), max_length=36, blank=True)
    contents = models.JSONField(_("texts"), default=list)
    display = models.JSONField(_("display"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message_id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "message_id"], name="display_message_unique")
        ]
        verbose_name = _("display message")
        verbose_name_plural = _("display messages")

    def __str__(self) -> str:
        first = self.contents[0].get("content", "") if self.contents else ""
        return f"#{self.message_id} {first[:40]}"
