"""Charging profiles ChargeNet set on stations (operators and load management)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.commands import Command
from stations.models.network import ChargingStation, Connector
from stations.models.sessions import ChargingSession


class ChargingProfile(models.Model):
    """A charging profile ChargeNet set on a station, and what the station answered.

    One row per (station, profile id): setting a profile with the same id replaces it
    on the station (OCPP 1.6 §3.13.2, 2.0.1 K01.FR.05), and here.
    """

    class Purpose(models.TextChoices):
        TX_DEFAULT = "tx_default", "TxDefaultProfile"
        TX = "tx", "TxProfile"
        MAX = "max", "ChargePointMaxProfile"

    class Kind(models.TextChoices):
        ABSOLUTE = "absolute", _("Absolute")
        RECURRING = "recurring", _("Recurring")
        RELATIVE = "relative", _("Relative")

    class Recurrency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    class Unit(models.TextChoices):
        W = "W", _("Watts")
        A = "A", _("Amperes")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        TIMEOUT = "timeout", _("Timed out")
        OFFLINE = "offline", _("Station offline")
        CLEARED = "cleared", _("Cleared")

    class Source(models.TextChoices):
        OPERATOR = "operator", _("Operator")
        LOAD_MANAGEMENT = "load_management", _("Site power limit")

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="charging_profiles"
    )
    connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="charging_profiles",
        help_text=_("Empty: the whole station (connector 0 / EVSE 0)."),
    )
    profile_id = models.PositiveIntegerField(_("profile id"))
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose)
    stack_level = models.PositiveIntegerField(_("stack level"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.ABSOLUTE)
    recurrency = models.CharField(_("recurrency"), max_length=8, choices=Recurrency, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid to"), null=True, blank=True)
    transaction_id = models.CharField(_("transaction id"), max_length=36, blank=True)
    unit = models.CharField(_("unit"), max_length=1, choices=Unit, default=Unit.W)
    # [{"start_period": seconds, "limit": W or A, "number_phases": n?}], sorted, from 0.
    periods = models.JSONField(_("schedule periods"), default=list)
    duration = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    start_schedule = models.DateTimeField(_("schedule start"), null=True, blank=True)
    min_rate = models.DecimalField(
        _("minimum rate"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.REQUESTED, db_index=True
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source, default=Source.OPERATOR, db_index=True
    )
    # The session a TxProfile limits (load management).
    session = models.ForeignKey(
        ChargingSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charging_profiles",
    )
    command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clear_command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["station", "profile_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "profile_id"], name="charging_profile_unique_per_station"
            )
        ]
        verbose_name = _("charging profile")
        verbose_name_plural = _("charging profiles")

    def __str__(self) -> str:
        return f"{self.station.station_id} profile {self.profile_id} ({self.purpose})"
