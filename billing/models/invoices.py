"""Invoices and credit notes: numbered without gaps per year, immutable once issued."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.tariffs import validate_currency

MONEY = {"max_digits": 14, "decimal_places": 4}


class ImmutableInvoiceError(Exception):
    """An issued invoice never changes: correct it with a credit note."""


class OperatorProfile(models.Model):
    """The operator's details printed on every invoice (one row).

    Invoices are refused until the details a tax authority asks of a seller are filled
    in (`missing`): legal name, address, VAT id and registration number.
    """

    name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    tax_id = models.CharField(_("tax (VAT) id"), max_length=50, blank=True)
    registration_number = models.CharField(
        _("registration number"),
        max_length=100,
        blank=True,
        help_text=_("The company register and number, e.g. Amtsgericht Berlin HRB 12345."),
    )
    logo = models.ImageField(_("logo"), upload_to="operator/", blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    bank_account = models.CharField(_("bank account (IBAN)"), max_length=100, blank=True)
    timezone = models.CharField(
        _("accounting time zone"),
        max_length=64,
        default="UTC",
        help_text=_("Months and invoice dates are counted in this time zone."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    footer = models.TextField(_("invoice footer"), blank=True)

    class Meta:
        verbose_name = _("operator profile")
        verbose_name_plural = _("operator profile")

    def __str__(self) -> str:
        return self.name or str(_("operator profile"))

    @classmethod
    def current(cls) -> "OperatorProfile":
        profile, _ = cls.objects.get_or_create(pk=1)
        return profile

    # The fields an invoice cannot be sent without.
    REQUIRED = ("name", "address", "tax_id", "registration_number")

    def missing(self) -> list[str]:
        """Labels of the required fields still empty (none: invoices may be issued)."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in self.REQUIRED
            if not str(getattr(self, name)).strip()
        ]


class InvoiceSequence(models.Model):
    """The last number issued in a year; locked (select_for_update) to issue the next."""

    year = models.PositiveIntegerField(_("year"), unique=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        ordering = ["year"]
        verbose_name = _("invoice number sequence")
        verbose_name_plural = _("invoice number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ImmutableModel(models.Model):
    """Written once; saving an existing row or deleting one raises."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ImmutableInvoiceError(f"{self} is issued and cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableInvoiceError(f"{self} is issued and cannot be deleted.")


class Invoice(ImmutableModel):
    """An issued invoice or credit note, with the seller's and buyer's details as issued."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind, default=Kind.INVOICE)
    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in year"))
    issued_at = models.DateTimeField(_("issued"))
    due_date = models.DateField(_("due"), null=True, blank=True)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invoices",
        verbose_name=_("customer"),
    )
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    customer_email = models.CharField(_("customer email"), max_length=254, blank=True)
    customer_address = models.TextField(_("customer address"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        default="en",
        help_text=_("The customer's language: the documents are written in it."),
    )
    seller_name = models.CharField(_("seller"), max_length=200)
    seller_address = models.TextField(_("seller address"), blank=True)
    seller_tax_id = models.CharField(_("seller tax id"), max_length=50, blank=True)
    seller_email = models.CharField(_("seller email"), max_length=254, blank=True)
    seller_bank_account = models.CharField(_("seller bank account"), max_length=100, blank=True)
    seller_registration = models.CharField(
        _("seller registration number"), max_length=100, blank=True
    )
    seller_logo = models.CharField(_("seller logo"), max_length=200, blank=True)
    footer = models.TextField(_("footer"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    net = models.DecimalField(_("net"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY)
    gross = models.DecimalField(_("gross"), **MONEY)
    credited_invoice = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_note",
        verbose_name=_("credits invoice"),
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_unique")
        ]
        indexes = [models.Index(fields=["customer", "-issued_at"])]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def is_credited(self) -> bool:
        return hasattr(self, "credit_note")


class InvoiceLine(ImmutableModel):
    """One line of an invoice: a priced session (amounts of a credit note are negative)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    session = models.ForeignKey(
        "stations.ChargingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invoice_lines",
    )
    description = models.TextField(_("description"))
    details = models.JSONField(_("price lines"), default=list, blank=True)
    tax_rate_percent = models.DecimalField(_("tax rate (%)"), max_digits=6, decimal_places=3)
    net = models.DecimalField(_("net"), **MONEY)
    tax = models.DecimalField(_("tax"), **MONEY)
    gross = models.DecimalField(_("gross"), **MONEY)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position")
        ]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return f"{self.invoice.number}/{self.position}"
