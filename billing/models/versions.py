"""Tariff versions: a tariff's whole definition as it was, and the version each session
is priced with.

A version is written whenever a tariff's definition changes, however it is saved (model,
admin, API, pages: billing/services/versions.py listens to the models' signals) and is
never edited afterwards. A session keeps the version in force when it started, so a
tariff changed or assigned while it runs never reprices it.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.pricing import TariffSpec
from billing.pricing.snapshot import spec_from_json


class ImmutableVersionError(Exception):
    """A tariff version is never changed once written (sessions are priced with it)."""


class TariffVersion(models.Model):
    """One tariff's full definition (components, time-of-use windows, power tiers, idle
    fee, currency, tax) as it was from `created_at` on. Immutable."""

    tariff = models.ForeignKey(
        "billing.Tariff",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="versions",
        help_text=_("Empty once the tariff was deleted: its versions stay for its sessions."),
    )
    number = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    definition = models.JSONField(_("definition"))
    digest = models.CharField(_("digest"), max_length=64)
    created_at = models.DateTimeField(_("in force from"), default=timezone.now)

    class Meta:
        ordering = ["tariff", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "number"], name="tariff_version_number")
        ]
        verbose_name = _("tariff version")
        verbose_name_plural = _("tariff versions")

    def __str__(self) -> str:
        return f"{self.name} v{self.number} ({self.currency})"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableVersionError("A tariff version cannot be changed once written.")
        super().save(*args, **kwargs)

    def spec(self) -> TariffSpec:
        return spec_from_json(self.definition)


class SessionTariff(models.Model):
    """The tariff version a session is priced with: the one in force when it started.

    `version` is empty when no tariff priced the session's connector at its start: it
    stays unpriced, a tariff assigned later applies to later sessions only.
    """

    session = models.OneToOneField(
        "stations.ChargingSession", on_delete=models.CASCADE, related_name="tariff_pin"
    )
    version = models.ForeignKey(
        TariffVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    pinned_at = models.DateTimeField(_("fixed at"), default=timezone.now)

    class Meta:
        verbose_name = _("session tariff")
        verbose_name_plural = _("session tariffs")

    def __str__(self) -> str:
        return f"{self.session_id}: {self.version or '-'}"
