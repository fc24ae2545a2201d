"""Reports: sessions, energy, revenue, utilisation and faults per site and station."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """One report run: what was asked, how far it got, and its CSV and XLSX files."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ON_DEMAND = "on_demand", _("On demand")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.ON_DEMAND)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (inclusive)"))
    site = models.ForeignKey(
        "stations.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    station = models.ForeignKey(
        "stations.ChargingStation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status, default=Status.PENDING, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    csv_file = models.FileField(_("CSV"), upload_to="reports/%Y/%m/", blank=True)
    xlsx_file = models.FileField(_("XLSX"), upload_to="reports/%Y/%m/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end"],
                condition=models.Q(kind="monthly"),
                name="one_monthly_report_per_month",
            )
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        scope = self.station or self.site or _("network")
        return f"{scope} {self.period_start}–{self.period_end}"
