"""REST API v1: invoices (with credit notes) and reports."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from billing.models import Invoice, InvoiceLine, Report
from billing.pricing import round_money
from stations.api.money import DECIMAL_STRING_SCHEMA, PriceLineSerializer
from stations.models import ChargingStation, Site

# --- invoices ----------------------------------------------------------------------


@extend_schema_field(DECIMAL_STRING_SCHEMA)
class MoneyField(serializers.Field):
    """An amount as a decimal string, rounded to its currency's minor unit."""

    def __init__(self, amount: str, **kwargs) -> None:
        self.amount = amount
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj) -> str:
        currency = obj.currency if hasattr(obj, "currency") else obj.invoice.currency
        return str(round_money(getattr(obj, self.amount), currency))


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "sessions": {"type": "integer"},
            "energy_kwh": DECIMAL_STRING_SCHEMA,
            "utilisation_percent": DECIMAL_STRING_SCHEMA,
            "faults": {"type": "integer"},
            "revenue_gross": {"type": "object", "additionalProperties": DECIMAL_STRING_SCHEMA},
        },
    }
)
class ReportSummaryField(serializers.DictField):
    """A report's network totals; empty until it is done. Amounts are decimal strings."""


class InvoiceLineSerializer(serializers.ModelSerializer):
    """One invoiced session, with the price lines it was priced with."""

    net = MoneyField("net", help_text="Net amount.")
    tax = MoneyField("tax", help_text="Tax amount.")
    gross = MoneyField("gross", help_text="Gross amount (net + tax).")
    details = PriceLineSerializer(
        many=True,
        read_only=True,
        help_text="The session's price lines (kind, description, quantity, unit, unit_price, "
        "price_unit, amount), as priced; amounts are decimal strings.",
    )

    class Meta:
        model = InvoiceLine
        fields = [
            "position",
            "session",
            "description",
            "details",
            "tax_rate_percent",
            "net",
            "tax",
            "gross",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "position": {"help_text": "Line number, from 1."},
            "session": {"help_text": "The charging session's id, if it still exists."},
            "description": {"help_text": "Where, when, how long and how much energy."},
            "tax_rate_percent": {"help_text": "Tax rate of the line, in %."},
        }


class InvoiceSerializer(serializers.ModelSerializer):
    """An issued invoice or credit note; immutable."""

    net = MoneyField("net", help_text="Net total.")
    tax = MoneyField("tax", help_text="Tax total.")
    gross = MoneyField("gross", help_text="Total to pay (negative on a credit note).")
    lines = InvoiceLineSerializer(many=True, read_only=True, help_text="The invoiced sessions.")
    credited_invoice = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text="On a credit note: the number of the invoice it cancels; null on an invoice.",
    )
    credit_note = serializers.SerializerMethodField(
        help_text="On an invoice: the number of the credit note that cancelled it, or null."
    )
    pdf_url = serializers.SerializerMethodField(help_text="Where to download the PDF.")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "kind",
            "issued_at",
            "due_date",
            "period_start",
            "period_end",
            "customer",
            "customer_name",
            "customer_email",
            "seller_name",
            "seller_address",
            "seller_tax_id",
            "currency",
            "net",
            "tax",
            "gross",
            "lines",
            "credited_invoice",
            "credit_note",
            "reason",
            "pdf_url",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "ChargeNet's id of the invoice."},
            "number": {
                "help_text": "Invoice number: year and a gapless sequence, e.g. 2025-000042."
            },
            "kind": {"help_text": "invoice or credit_note."},
            "issued_at": {"help_text": "When it was issued."},
            "due_date": {"help_text": "When payment is due; null on a credit note."},
            "period_start": {"help_text": "First day the invoice covers."},
            "period_end": {"help_text": "Last day the invoice covers."},
            "customer": {"help_text": "The driver's user id, or null for an anonymous session."},
            "customer_name": {"help_text": "The driver's name as invoiced."},
            "customer_email": {"help_text": "The driver's email as invoiced."},
            "seller_name": {"help_text": "The operator's name as invoiced."},
            "seller_address": {"help_text": "The operator's address as invoiced."},
            "seller_tax_id": {"help_text": "The operator's tax (VAT) id as invoiced."},
            "currency": {"help_text": "ISO 4217 currency of every amount."},
            "reason": {"help_text": "On a credit note: why the invoice was cancelled."},
        }

    def get_credit_note(self, invoice: Invoice) -> str | None:
        note = getattr(invoice, "credit_note", None)  # the reverse one-to-one, if any
        return note.number if note else None

    def get_pdf_url(self, invoice: Invoice) -> str:
        return reverse("invoice-pdf", args=[invoice.pk], request=self.context.get("request"))


class InvoiceCreateSerializer(serializers.Serializer):
    """Issue an invoice for one ended session, on demand."""

    session = serializers.IntegerField(help_text="The ended session's id.")


class CreditNoteCreateSerializer(serializers.Serializer):
    """Cancel an invoice in full with a credit note."""

    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Why the invoice is cancelled."
    )


# --- reports -----------------------------------------------------------------------


class ReportSerializer(serializers.ModelSerializer):
    """A report run: what was asked, its progress, its totals and where its files are."""

    station = serializers.SlugRelatedField(
        slug_field="station_id",
        queryset=ChargingStation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Only this station (its id); null for every station.",
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(),
        required=False,
        allow_null=True,
        help_text="Only this site's stations (the site's id); null for every site.",
    )
    csv_url = serializers.SerializerMethodField(help_text="The CSV file once done, else null.")
    xlsx_url = serializers.SerializerMethodField(help_text="The XLSX file once done, else null.")
    summary = ReportSummaryField(
        read_only=True,
        help_text="Network totals once done: sessions, energy_kwh, utilisation_percent, faults, "
        "revenue_gross per currency.",
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "period_start",
            "period_end",
            "site",
            "station",
            "status",
            "progress",
            "error",
            "summary",
            "created_at",
            "started_at",
            "finished_at",
            "csv_url",
            "xlsx_url",
        ]
        read_only_fields = [
            "id",
            "kind",
            "status",
            "progress",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        extra_kwargs = {
            "id": {"help_text": "ChargeNet's id of the report."},
            "kind": {"help_text": "monthly (made by ChargeNet) or on_demand."},
            "period_start": {"help_text": "First day covered (operator's accounting time zone)."},
            "period_end": {"help_text": "Last day covered, inclusive."},
            "status": {"help_text": "pending, running, done or failed."},
            "progress": {"help_text": "How far the run has got, 0-100 %."},
            "error": {"help_text": "Why the run failed; empty otherwise."},
            "created_at": {"help_text": "When the report was asked for."},
            "started_at": {"help_text": "When the run started."},
            "finished_at": {"help_text": "When the run finished."},
        }

    def validate(self, data: dict) -> dict:
        if data["period_end"] < data["period_start"]:
            raise serializers.ValidationError({"period_end": ["Before period_start."]})
        return data

    def _file_url(self, report: Report, fmt: str) -> str | None:
        if report.status != Report.Status.DONE:
            return None
        return reverse(f"report-{fmt}", args=[report.pk], request=self.context.get("request"))

    def get_csv_url(self, report: Report) -> str | None:
        return self._file_url(report, "csv")

    def get_xlsx_url(self, report: Report) -> str | None:
        return self._file_url(report, "xlsx")
