"""What billing keeps about sessions: connector status history and stored prices."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ConnectorStatusPeriod(models.Model):
    """A connector (0: the station as a whole) was in `status` from `started_at` on.

    `started_at` is the station's own time for the report (StatusNotification timestamp,
    TransactionEvent timestamp) when it sent a plausible one (`station_clock`), else
    the time ChargeNet received it; `received_at` keeps the arrival time beside it.
    Periods follow each other in `started_at` order, each ending where the next begins;
    the open period (no `ended_at`) is the latest. A report delivered late (queued while
    offline) is placed where its own time puts it. Idle fees and fault counts are read
    from here.
    """

    station = models.ForeignKey(
        "stations.ChargingStation", on_delete=models.CASCADE, related_name="+"
    )
    connector_id = models.PositiveIntegerField(_("connector"))
    status = models.CharField(_("status"), max_length=20)
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    station_clock = models.BooleanField(
        _("station's time"),
        default=False,
        help_text=_("The start is the station's own timestamp, not the arrival time."),
    )
    inferred = models.BooleanField(
        _("inferred"),
        default=False,
        help_text=_(
            "Assumed by ChargeNet, not reported by the station: Finishing after a 2.x "
            "transaction ended with the car plugged in."
        ),
    )

    class Meta:
        ordering = ["station", "connector_id", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "connector_id"],
                condition=Q(ended_at__isnull=True),
                name="status_period_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["station", "connector_id", "started_at"]),
            models.Index(fields=["status", "started_at"]),
        ]
        verbose_name = _("connector status period")
        verbose_name_plural = _("connector status periods")

    def __str__(self) -> str:
        return f"{self.connector_id}: {self.status} from {self.started_at:%Y-%m-%d %H:%M}"


CENT = Decimal("0.01")


class SessionCharge(models.Model):
    """A session's price: the one store of it (billing/services/sessions.py writes it).

    Net, tax and gross to 4 places, the exact amounts invoices sum; the lines as the
    pricing engine gave them. No row: the session is not priced (yet). The station core
    shows it through the session's reverse relation `charge` without importing billing.
    """

    session = models.OneToOneField(
        "stations.ChargingSession", on_delete=models.CASCADE, related_name="charge"
    )
    tariff = models.ForeignKey(
        "billing.Tariff", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tariff_version = models.ForeignKey(
        "billing.TariffVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The tariff as it was when the session started: what it was priced with."),
    )
    tariff_name = models.CharField(_("tariff"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    net = models.DecimalField(_("net"), max_digits=14, decimal_places=4)
    tax_rate_percent = models.DecimalField(_("tax rate (%)"), max_digits=6, decimal_places=3)
    tax = models.DecimalField(_("tax"), max_digits=14, decimal_places=4)
    gross = models.DecimalField(_("gross"), max_digits=14, decimal_places=4)
    lines = models.JSONField(_("lines"), default=list)
    priced_at = models.DateTimeField(_("priced at"))

    class Meta:
        ordering = ["-priced_at"]
        verbose_name = _("session charge")
        verbose_name_plural = _("session charges")

    def __str__(self) -> str:
        return f"{self.session_id}: {self.gross} {self.currency}"

    @property
    def total(self) -> Decimal:
        """Gross to the cent (ROUND_HALF_UP), as the API, the pages, the CSV and the
        prepaid ledger show it (what a 2-place numeric column stored on PostgreSQL)."""
        return self.gross.quantize(CENT, rounding=ROUND_HALF_UP)
