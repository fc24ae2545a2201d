"""The operator's admin for billing: tariffs with their components, prices, invoices, reports.

Issued invoices are read-only here (a correction is a credit note, made by an action);
what billing computes (session charges, status history, report files) is viewable only.
"""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing import services
from billing.models import (
    ConnectorStatusPeriod,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    OperatorProfile,
    PowerTierPrice,
    Report,
    SessionCharge,
    Tariff,
    TariffAssignment,
    TariffVersion,
    TimeOfUsePrice,
)
from billing.services.invoices import InvoiceError
from billing.tasks import generate_report
from stations.admin import pretty_json


class ViewOnlyAdmin(admin.ModelAdmin):
    """For what billing computes: viewable, never added, edited or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- tariffs ----------------------------------------------------------------------


class TimeOfUseInline(admin.TabularInline):
    model = TimeOfUsePrice
    extra = 0


class PowerTierInline(admin.TabularInline):
    model = PowerTierPrice
    extra = 0


class AssignmentInline(admin.TabularInline):
    model = TariffAssignment
    extra = 0
    autocomplete_fields = ["site", "station", "connector"]


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "tax_rate_percent", "is_default", "components"]
    list_filter = ["currency", "is_default"]
    search_fields = ["name", "description"]
    inlines = [TimeOfUseInline, PowerTierInline, AssignmentInline]
    fieldsets = [
        (None, {"fields": ["name", "description", "currency", "tax_rate_percent", "is_default"]}),
        (
            _("Energy, time and fees"),
            {
                "fields": [
                    "energy_price_per_kwh",
                    "time_price_per_hour",
                    "time_block_minutes",
                    "session_fee",
                    ("minimum_price", "maximum_price"),
                ]
            },
        ),
        (
            _("Idle fee"),
            {"fields": ["idle_price_per_minute", "idle_grace_minutes", "idle_fee_cap"]},
        ),
        (_("Power tiers (e-bikes)"), {"fields": ["tier_sustain_seconds", "prepaid_block_price"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("time_of_use", "power_tiers")

    @admin.display(description=_("components"))
    def components(self, tariff: Tariff) -> str:
        parts = [
            label
            for label, value in (
                (_("energy"), tariff.energy_price_per_kwh),
                (_("time"), tariff.time_price_per_hour),
                (_("session fee"), tariff.session_fee),
                (_("idle fee"), tariff.idle_price_per_minute),
            )
            if value
        ]
        if tariff.time_of_use.all():
            parts.append(_("time of use"))
        if tariff.power_tiers.all():
            parts.append(_("prepaid blocks") if tariff.prepaid_block_price else _("power tiers"))
        return ", ".join(str(part) for part in parts) or "—"


@admin.register(TariffAssignment)
class TariffAssignmentAdmin(admin.ModelAdmin):
    list_display = ["tariff", "site", "station", "connector"]
    list_select_related = ["tariff", "site", "station", "connector__station"]
    list_filter = ["tariff"]
    autocomplete_fields = ["site", "station", "connector"]


# --- what billing records -------------------------------------------------------------


@admin.register(SessionCharge)
class SessionChargeAdmin(ViewOnlyAdmin):
    list_display = ["session", "tariff_name", "net", "tax", "gross", "currency", "priced_at"]
    list_select_related = ["session__station"]
    list_filter = ["currency", "tariff_name"]
    search_fields = ["session__station__station_id", "session__id_tag"]
    date_hierarchy = "priced_at"
    exclude = ["lines"]
    readonly_fields = ["lines_pretty"]
    actions = ["reprice"]

    @admin.display(description=_("lines"))
    def lines_pretty(self, charge: SessionCharge) -> str:
        return pretty_json(charge.lines)

    @admin.action(description=_("Re-price the selected sessions"))
    def reprice(self, request, queryset) -> None:
        priced = sum(services.session_price(charge.session) is not None for charge in queryset)
        self.message_user(
            request, ngettext("%d session re-priced.", "%d sessions re-priced.", priced) % priced
        )


@admin.register(TariffVersion)
class TariffVersionAdmin(ViewOnlyAdmin):
    """Versions are written by every tariff change and never edited."""

    list_display = ["name", "number", "currency", "tariff", "created_at"]
    list_filter = ["currency"]
    search_fields = ["name"]
    exclude = ["definition"]
    readonly_fields = ["definition_pretty"]

    @admin.display(description=_("definition"))
    def definition_pretty(self, version: TariffVersion) -> str:
        return pretty_json(version.definition)


@admin.register(ConnectorStatusPeriod)
class ConnectorStatusPeriodAdmin(ViewOnlyAdmin):
    list_display = [
        "station",
        "connector_id",
        "status",
        "error_code",
        "started_at",
        "ended_at",
        "station_clock",
        "received_at",
    ]
    list_select_related = ["station"]
    list_filter = ["status"]
    search_fields = ["station__station_id"]
    date_hierarchy = "started_at"


# --- invoices -----------------------------------------------------------------------


@admin.register(OperatorProfile)
class OperatorProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_id", "registration_number", "email", "timezone"]

    def has_add_permission(self, request) -> bool:
        return not OperatorProfile.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ViewOnlyAdmin):
    list_display = ["year", "last_number"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["position", "session", "description", "tax_rate_percent", "net", "tax", "gross"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ViewOnlyAdmin):
    list_display = [
        "number",
        "kind",
        "issued_at",
        "customer_name",
        "period_start",
        "period_end",
        "gross",
        "currency",
        "documents",
    ]
    list_filter = ["kind", "year", "currency"]
    search_fields = ["number", "customer_name", "customer_email"]
    date_hierarchy = "issued_at"
    inlines = [InvoiceLineInline]
    actions = ["issue_credit_notes"]

    @admin.display(description=_("documents"))
    def documents(self, invoice: Invoice) -> str:
        return format_html(
            '<a href="{}">HTML</a> · <a href="{}">PDF</a>',
            reverse("billing:invoice", args=[invoice.pk]),
            reverse("billing:invoice-pdf", args=[invoice.pk]),
        )

    @admin.action(description=_("Issue credit notes for the selected invoices"))
    def issue_credit_notes(self, request, queryset) -> None:
        for invoice in queryset:
            try:
                note = services.credit_note_issue(invoice=invoice, reason="Credited by an operator")
            except InvoiceError as error:
                self.message_user(request, f"{invoice}: {error}", messages.WARNING)
            else:
                self.message_user(request, _("%(note)s issued.") % {"note": note})


# --- reports -----------------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "status", "progress", "created_at", "downloads"]
    list_filter = ["kind", "status"]
    fields = ["kind", "period_start", "period_end", "site", "station"]
    autocomplete_fields = ["site", "station"]
    actions = ["regenerate"]

    @admin.display(description=_("files"))
    def downloads(self, report: Report) -> str:
        if report.status != Report.Status.DONE:
            return "—"
        return format_html(
            '<a href="{}">CSV</a> · <a href="{}">XLSX</a>',
            reverse("billing:report-download", args=[report.pk, "csv"]),
            reverse("billing:report-download", args=[report.pk, "xlsx"]),
        )

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # a report is what was asked; ask again for another
        report = services.report_request(
            period_start=obj.period_start,
            period_end=obj.period_end,
            site=obj.site,
            station=obj.station,
            requested_by=request.user,
            kind=obj.kind,
        )
        obj.pk = report.pk

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Generate the selected reports again"))
    def regenerate(self, request, queryset) -> None:
        for report in queryset:
            generate_report.delay(report.pk)
        self.message_user(request, _("Reports queued."))
