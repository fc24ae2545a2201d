"""Charging sessions and what they recorded: transaction events, meter samples, summaries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stations.models.network import ChargingStation, Connector
from stations.models.tokens import IdToken


class ChargingSession(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    station = models.ForeignKey(ChargingStation, on_delete=models.CASCADE, related_name="sessions")
    connector = models.ForeignKey(
        Connector,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    id_token = models.ForeignKey(
        IdToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    # The token value as the station sent it, kept even when the token is unknown.
    id_tag = models.CharField(_("ID tag"), max_length=255, blank=True)
    stop_id_tag = models.CharField(_("stopped by"), max_length=255, blank=True)
    # The operator or driver whose accepted stop or unlock command ended the session.
    stop_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("stop requested by"),
    )
    # 1.6: CSMS-assigned integer (as text); 2.0.1: the station's string id. NULL (not
    # "") for a stop of an unknown transaction, so the per-station uniqueness holds.
    transaction_id = models.CharField(  # noqa: DJ001
        _("transaction id"), max_length=36, null=True, blank=True
    )
    # A StopTransaction for a transaction ChargeNet never saw keeps the id it named.
    reported_transaction_id = models.CharField(max_length=36, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=State, default=State.ACTIVE, db_index=True
    )
    started_at = models.DateTimeField(_("started"), db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    meter_start_wh = models.BigIntegerField(_("meter start (Wh)"), default=0)
    meter_stop_wh = models.BigIntegerField(_("meter stop (Wh)"), null=True, blank=True)
    meter_last_wh = models.BigIntegerField(_("latest meter (Wh)"), null=True, blank=True)
    energy_wh = models.BigIntegerField(_("energy (Wh)"), default=0)
    power_w = models.IntegerField(_("power now (W)"), null=True, blank=True)
    stop_reason = models.CharField(_("stop reason"), max_length=40, blank=True)
    reservation_id = models.IntegerField(null=True, blank=True)
    remote_start_id = models.IntegerField(null=True, blank=True)
    # The most the vehicle said it can take (ISO 15118 charging needs), W; load
    # management shares the site's power within it.
    ev_max_power_w = models.PositiveIntegerField(_("EV maximum power (W)"), null=True, blank=True)
    # What the vehicle is doing now (Charging, SuspendedEV, ...), kept while active.
    charging_state = models.CharField(_("charging state"), max_length=20, blank=True)
    # Sanity problems noticed in what the station sent, e.g. "meter_backwards".
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # Its price is billing's: a SessionCharge, the reverse relation `charge` (none: unpriced).
    # Suspected stuck (the station rebooted or its connector became Available): closed
    # by stations.services.reconcile after this moment unless the station continues it first.
    reconcile_after = models.DateTimeField(_("reconcile after"), null=True, blank=True)
    reconcile_reason = models.CharField(_("reconcile reason"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "transaction_id"],
                name="session_transaction_unique_per_station",
            )
        ]
        indexes = [
            models.Index(fields=["station", "state"]),
            # The reconcile job reads only the few marked sessions.
            models.Index(
                fields=["reconcile_after"],
                name="session_reconcile_due",
                condition=models.Q(reconcile_after__isnull=False),
            ),
        ]
        verbose_name = _("charging session")
        verbose_name_plural = _("charging sessions")

    def __str__(self) -> str:
        return f"{self.station.station_id} #{self.transaction_id or self.pk}"

    def add_flag(self, flag: str) -> None:
        if flag not in self.flags:
            self.flags = [*self.flags, flag]


class MeterSample(models.Model):
    """One sampled value, normalised to Wh, W, A, V, var, Hz or %."""

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="meter_samples"
    )
    connector_id = models.PositiveIntegerField(default=0)
    session = models.ForeignKey(
        ChargingSession,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="samples",
    )
    timestamp = models.DateTimeField()
    measurand = models.CharField(max_length=50)
    phase = models.CharField(max_length=8, blank=True)
    location = models.CharField(max_length=8, blank=True)
    context = models.CharField(max_length=24, blank=True)
    value = models.DecimalField(max_digits=20, decimal_places=4)
    unit = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["timestamp"]
        constraints = [
            # A replayed MeterValues inserts nothing twice.
            models.UniqueConstraint(
                fields=[
                    "station",
                    "connector_id",
                    "timestamp",
                    "measurand",
                    "phase",
                    "location",
                    "context",
                ],
                name="meter_sample_unique",
            )
        ]
        indexes = [
            models.Index(fields=["session", "timestamp"]),
            models.Index(fields=["timestamp"]),
        ]
        verbose_name = _("meter sample")
        verbose_name_plural = _("meter samples")

    def __str__(self) -> str:
        return f"{self.measurand} {self.value} {self.unit}"


class SessionMeterSummary(models.Model):
    """What a session's pruned meter samples said, rolled up (stations.services.retention).

    Energy is the whole-meter register (it only counts up, so the lowest and highest
    readings are the first and last); power the whole-meter active import.
    """

    session = models.OneToOneField(
        ChargingSession, on_delete=models.CASCADE, related_name="meter_summary"
    )
    sample_count = models.BigIntegerField(_("samples"), default=0)
    first_at = models.DateTimeField(_("first sample"))
    last_at = models.DateTimeField(_("last sample"))
    energy_first_wh = models.BigIntegerField(_("first energy (Wh)"), null=True, blank=True)
    energy_last_wh = models.BigIntegerField(_("last energy (Wh)"), null=True, blank=True)
    power_max_w = models.IntegerField(_("maximum power (W)"), null=True, blank=True)
    power_avg_w = models.IntegerField(_("average power (W)"), null=True, blank=True)
    # Kept so that a later roll-up merges the average exactly.
    power_samples = models.BigIntegerField(default=0)
    power_sum_w = models.DecimalField(max_digits=28, decimal_places=4, default=0)
    current_max_a = models.DecimalField(
        _("maximum current (A)"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session meter summary")
        verbose_name_plural = _("session meter summaries")

    def __str__(self) -> str:
        return f"{self.session_id}: {self.sample_count} samples"


class SessionEvent(models.Model):
    """One transaction event of a session, by the station's sequence number.

    Keeps replays from being applied twice and lets late events be applied in order.
    """

    session = models.ForeignKey(ChargingSession, on_delete=models.CASCADE, related_name="events")
    seq_no = models.PositiveIntegerField()
    event_type = models.CharField(max_length=10)  # Started | Updated | Ended
    timestamp = models.DateTimeField()
    trigger_reason = models.CharField(max_length=40, blank=True)
    charging_state = models.CharField(max_length=20, blank=True)
    offline = models.BooleanField(default=False)
    id_tag = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "seq_no"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq_no"], name="session_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.seq_no}"
