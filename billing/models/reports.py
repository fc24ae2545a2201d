"""Reports: sessions, energy, revenue, utilisation and faults per site and station."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportRun(models.Model):
    """What every report run keeps: its scope and period, how far it got, who asked.

    Billing's reports and reliability's uptime reports add their kinds and files.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

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
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        scope = self.station or self.site or _("network")
        return f"{scope} {self.period_start}–{self.period_end}"


class Report(ReportRun):
    """One report run: what was asked, how far it got, and its CSV and XLSX files."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ON_DEMAND = "on_demand", _("On demand")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.ON_DEMAND)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    csv_file = models.FileField(_("CSV"), upload_to="reports/%Y/%m/", blank=True)
    xlsx_file = models.FileField(_("XLSX"), upload_to="reports/%Y/%m/", blank=True)
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta(ReportRun.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end"],
                condition=models.Q(kind="monthly"),
                name="one_monthly_report_per_month",
            )
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
