"""Drivers' prepaid balances (a ledger) and their requests for new cards.

The balance is never stored: it is the sum of the ledger rows, per currency.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BalanceEntry(models.Model):
    """One movement of a driver's prepaid money: positive credits, negative debits."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        DEBIT = "debit", _("Session debit")
        ADJUSTMENT = "adjustment", _("Adjustment")

    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="balance_entries",
        verbose_name=_("driver"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    session = models.ForeignKey(
        "stations.ChargingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="balance_entries",
        verbose_name=_("session"),
    )
    # A payment provider's reference, so a replayed notification credits nothing twice.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["driver", "currency"])]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                condition=~models.Q(reference=""),
                name="balance_entry_reference_unique",
            )
        ]
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance entries")

    def __str__(self) -> str:
        return f"{self.driver} {self.amount:+} {self.currency}"


class CardRequest(models.Model):
    """A card a driver added: blocked until an operator approves it (if approval is on)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    id_token = models.OneToOneField(
        "stations.IdToken",
        on_delete=models.CASCADE,
        related_name="card_request",
        verbose_name=_("ID token"),
    )
    driver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="card_requests",
        verbose_name=_("driver"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("card request")
        verbose_name_plural = _("card requests")

    def __str__(self) -> str:
        return f"{self.id_token} ({self.get_status_display()})"
