"""What stations report about a customer (OCPP 2.0.1 CustomerInformation)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stations.models.commands import Command
from stations.models.network import ChargingStation


class CustomerInformationReport(models.Model):
    """One CustomerInformation request's report, assembled from its parts.

    A station sends the report in NotifyCustomerInformation messages numbered by
    `seqNo`; `parts` keeps each part's text by its number, and the report is
    complete once the part saying no more follow (tbc false) and every part before it
    have come.
    """

    station = models.ForeignKey(
        ChargingStation, on_delete=models.CASCADE, related_name="customer_reports"
    )
    request_id = models.IntegerField(_("request id"))
    command = models.ForeignKey(
        Command, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer_reports"
    )
    parts = models.JSONField(default=dict)
    last_seq_no = models.IntegerField(null=True, blank=True)
    complete = models.BooleanField(_("complete"), default=False)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "request_id"], name="customer_report_unique")
        ]
        verbose_name = _("customer information report")
        verbose_name_plural = _("customer information reports")

    def __str__(self) -> str:
        return f"customer information {self.request_id}"

    @property
    def text(self) -> str:
        """The parts' texts in their order."""
        return "".join(self.parts[key] for key in sorted(self.parts, key=int))
