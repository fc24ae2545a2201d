"""The operator's admin: every station model, with status columns, filters and search.

What stations report (status, boot data, sessions, meter samples, the message log) is
read-only here: only `stations.services.core` writes station state. Operators edit what they
own: sites, station provisioning (site, kind, password, registration) and ID tokens.
"""

import json
from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from stations.commands.admin import CONNECTOR_ACTIONS, STATION_ACTIONS, soft_stop, tokens_changed
from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    IdToken,
    MeterSample,
    OcppMessage,
    SessionMeterSummary,
    Site,
    StationEvent,
)

RECENT_SESSIONS = 10
CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
MESSAGE_TYPES = {CALL: "Call", CALL_RESULT: "CallResult", CALL_ERROR: "CallError"}

admin.site.site_header = _("ChargeNet administration")
admin.site.site_title = _("ChargeNet")


def pretty_json(text_or_value) -> str:
    """Show JSON indented in a <pre>; text that is not JSON is shown as it came."""
    if isinstance(text_or_value, str):
        try:
            text_or_value = json.loads(text_or_value)
        except ValueError:
            return format_html('<pre class="ocpp-payload">{}</pre>', text_or_value)
    pretty = json.dumps(text_or_value, indent=2, ensure_ascii=False, sort_keys=False)
    return format_html('<pre class="ocpp-payload">{}</pre>', pretty)


def kwh(energy_wh: int | None) -> str:
    return "" if energy_wh is None else f"{energy_wh / 1000:.3f} kWh"


class ReadOnlyAdmin(admin.ModelAdmin):
    """For what stations report: viewable and deletable, never added or edited here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- sites ------------------------------------------------------------------------


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "max_power_w", "station_count", "created_at"]
    search_fields = ["name", "address"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_station_count=Count("stations"))

    @admin.display(description=_("stations"), ordering="_station_count")
    def station_count(self, site) -> int:
        return site._station_count


# --- stations and connectors -----------------------------------------------------


class ChargingStationForm(forms.ModelForm):
    # Write-only: the stored hash is never a form field, so it is never shown or posted.
    # OCPP 2.0.1 passwordString and the 1.6 security whitepaper: 16 to 40 characters.
    new_password = forms.CharField(
        label=_("new password"),
        required=False,
        strip=False,
        min_length=16,
        max_length=40,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "HTTP Basic password the station connects with (OCPP security profile 1). "
            "Leave empty to keep the current one."
        ),
    )

    class Meta:
        model = ChargingStation
        # A whitelist, so the password hash can never become a field by accident.
        fields = ["station_id", "site", "kind", "vendor", "model", "registration_status"]

    def save(self, commit=True):
        raw = self.cleaned_data.get("new_password")
        if raw:
            self.instance.set_password(raw)
        return super().save(commit=commit)


class ConnectorInline(admin.TabularInline):
    model = Connector
    extra = 0
    fields = [
        "connector_id",
        "evse_id",
        "evse_connector_id",
        "max_power_w",
        "status",
        "error_code",
        "info",
        "status_since",
    ]
    readonly_fields = ["status", "error_code", "info", "status_since"]

    def get_queryset(self, request):
        # Each row's title is str(connector), which names the station.
        return super().get_queryset(request).select_related("station")


class RecentSessionFormSet(BaseInlineFormSet):
    def get_queryset(self):
        # Slice after the inline's station filter; the admin cannot slice before it.
        queryset = super().get_queryset()
        if not queryset.query.is_sliced:
            self._queryset = queryset = queryset[:RECENT_SESSIONS]
        return queryset


class RecentSessionInline(admin.TabularInline):
    model = ChargingSession
    formset = RecentSessionFormSet
    verbose_name_plural = _("recent charging sessions")
    fields = [
        "transaction_id",
        "connector_number",
        "id_tag",
        "state",
        "started_at",
        "ended_at",
        "energy",
    ]
    readonly_fields = fields
    show_change_link = True
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("station", "connector")
        return queryset.order_by("-started_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("connector"))
    def connector_number(self, session):
        return session.connector.connector_id if session.connector else "–"

    @admin.display(description=_("energy"))
    def energy(self, session) -> str:
        return kwh(session.energy_wh)


@admin.register(ChargingStation)
class ChargingStationAdmin(admin.ModelAdmin):
    form = ChargingStationForm
    list_display = [
        "station_id",
        "site",
        "kind",
        "vendor",
        "model",
        "ocpp_version",
        "registration_status",
        "connected",
        "status",
        "connector_summary",
        "last_seen",
    ]
    list_filter = ["site", "kind", "ocpp_version", "registration_status", "connected"]
    list_select_related = ["site"]
    search_fields = ["station_id", "vendor", "model", "serial_number"]
    actions = ["accept_registration", "reject_registration", *STATION_ACTIONS]
    inlines = [ConnectorInline, RecentSessionInline]
    readonly_fields = [
        "has_password",
        "ocpp_version",
        "connected",
        "last_seen",
        "last_boot_at",
        "status",
        "error_code",
        "status_since",
        "serial_number",
        "firmware_version",
        "iccid",
        "imsi",
        "meter_type",
        "meter_serial_number",
        "firmware_status",
        "diagnostics_status",
        "log_status",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["station_id", "site", "kind", "vendor", "model"]}),
        (
            _("Access"),
            {"fields": ["registration_status", "has_password", "new_password"]},
        ),
        (
            _("Connection and status"),
            {
                "fields": [
                    "ocpp_version",
                    "connected",
                    "last_seen",
                    "last_boot_at",
                    "status",
                    "error_code",
                    "status_since",
                ]
            },
        ),
        (
            _("Reported by the station"),
            {
                "classes": ["collapse"],
                "fields": [
                    "serial_number",
                    "firmware_version",
                    "iccid",
                    "imsi",
                    "meter_type",
                    "meter_serial_number",
                    "firmware_status",
                    "diagnostics_status",
                    "log_status",
                    "created_at",
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("connectors")

    @admin.display(description=_("password set"), boolean=True)
    def has_password(self, station) -> bool:
        return bool(station.password)

    @admin.display(description=_("connectors"))
    def connector_summary(self, station) -> str:
        # Uses the prefetched connectors: one query for the whole page.
        counts = Counter(connector.status for connector in station.connectors.all())
        return ", ".join(f"{status} ×{n}" for status, n in sorted(counts.items())) or "–"

    @admin.action(description=_("Accept registration of selected stations"))
    def accept_registration(self, request, queryset) -> None:
        self._set_registration(request, queryset, ChargingStation.Registration.ACCEPTED)

    @admin.action(description=_("Reject registration of selected stations"))
    def reject_registration(self, request, queryset) -> None:
        self._set_registration(request, queryset, ChargingStation.Registration.REJECTED)

    def _set_registration(self, request, queryset, status) -> None:
        # A connected station picks the new status up at its next call (ocpp/base.py).
        count = queryset.update(registration_status=status)
        message = ngettext(
            "%(count)d station is now %(status)s.",
            "%(count)d stations are now %(status)s.",
            count,
        ) % {"count": count, "status": status.label}
        self.message_user(request, message, messages.SUCCESS)


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = [
        "station",
        "connector_id",
        "evse_id",
        "status",
        "error_code",
        "status_since",
        "max_power_w",
    ]
    list_filter = ["status", "station__site", "station__kind"]
    list_select_related = ["station"]
    search_fields = ["station__station_id"]
    readonly_fields = ["status", "error_code", "info", "vendor_error_code", "status_since"]
    raw_id_fields = ["station"]
    actions = CONNECTOR_ACTIONS


# --- tokens and sessions -----------------------------------------------------------


@admin.register(IdToken)
class IdTokenAdmin(admin.ModelAdmin):
    list_display = ["value", "type", "status", "expires_at", "owner", "parent", "label"]
    list_filter = ["status", "type"]
    list_select_related = ["owner", "parent"]
    search_fields = ["value", "label", "owner__username", "owner__email"]
    autocomplete_fields = ["owner", "parent"]
    actions = ["accept_tokens", "block_tokens"]

    @admin.action(description=_("Accept selected ID tokens"))
    def accept_tokens(self, request, queryset) -> None:
        self._set_status(request, queryset, IdToken.Status.ACCEPTED)

    @admin.action(description=_("Block selected ID tokens"))
    def block_tokens(self, request, queryset) -> None:
        self._set_status(request, queryset, IdToken.Status.BLOCKED)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        tokens_changed()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        tokens_changed()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        tokens_changed()

    def _set_status(self, request, queryset, status) -> None:
        count = queryset.update(status=status)
        tokens_changed()  # stations' local lists follow at the next differential sync
        message = ngettext(
            "%(count)d ID token is now %(status)s.",
            "%(count)d ID tokens are now %(status)s.",
            count,
        ) % {"count": count, "status": status.label}
        self.message_user(request, message, messages.SUCCESS)


@admin.register(ChargingSession)
class ChargingSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "station",
        "connector_number",
        "id_tag",
        "state",
        "energy",
        "started_at",
        "ended_at",
        "price",
    ]
    list_filter = ["state", "station__site", "station__kind"]
    list_select_related = ["station", "connector"]
    search_fields = ["transaction_id", "id_tag", "station__station_id"]
    date_hierarchy = "started_at"
    exclude = ["price_lines", "flags"]
    readonly_fields = ["energy", "flag_list", "price_lines_pretty"]
    actions = [soft_stop]

    @admin.display(description=_("connector"), ordering="connector__connector_id")
    def connector_number(self, session):
        return session.connector.connector_id if session.connector else "–"

    @admin.display(description=_("energy"), ordering="energy_wh")
    def energy(self, session) -> str:
        return kwh(session.energy_wh)

    @admin.display(description=_("price"), ordering="price_total")
    def price(self, session) -> str:
        if session.price_total is None:
            return "–"
        return f"{session.price_total} {session.price_currency}"

    @admin.display(description=_("flags"))
    def flag_list(self, session) -> str:
        return ", ".join(session.flags) or "–"

    @admin.display(description=_("price lines"))
    def price_lines_pretty(self, session) -> str:
        return pretty_json(session.price_lines)


# --- what stations report -----------------------------------------------------------


@admin.register(MeterSample)
class MeterSampleAdmin(ReadOnlyAdmin):
    list_display = [
        "timestamp",
        "station",
        "connector_id",
        "session_id",
        "measurand",
        "phase",
        "location",
        "value",
        "unit",
    ]
    list_select_related = ["station"]
    # The largest table: exact-match search only, and no full COUNT(*) per page.
    search_fields = ["=station__station_id", "=session__transaction_id", "=measurand"]
    date_hierarchy = "timestamp"
    show_full_result_count = False


@admin.register(SessionMeterSummary)
class SessionMeterSummaryAdmin(ReadOnlyAdmin):
    """What pruned meter samples said (stations.services.retention); written by the prune only."""

    list_display = [
        "session",
        "sample_count",
        "first_at",
        "last_at",
        "energy",
        "power_max_w",
        "power_avg_w",
        "current_max_a",
    ]
    list_select_related = ["session__station"]
    search_fields = ["=session__station__station_id", "=session__transaction_id"]
    date_hierarchy = "first_at"
    exclude = ["power_samples", "power_sum_w"]

    @admin.display(description=_("energy in the samples"))
    def energy(self, summary) -> str:
        if summary.energy_first_wh is None:
            return "–"
        return kwh(summary.energy_last_wh - summary.energy_first_wh)


class MessageTypeFilter(admin.SimpleListFilter):
    title = _("message type")
    parameter_name = "message_type"

    def lookups(self, request, model_admin):
        return [(str(number), name) for number, name in MESSAGE_TYPES.items()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(message_type=self.value())
        return queryset


@admin.register(OcppMessage)
class OcppMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "station",
        "direction",
        "message_kind",
        "action",
        "unique_id",
    ]
    list_filter = ["direction", MessageTypeFilter, "action"]
    list_select_related = ["station"]
    search_fields = ["unique_id", "action", "=station__station_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "created_at",
        "station",
        "direction",
        "message_kind",
        "action",
        "unique_id",
        "payload_pretty",
    ]
    readonly_fields = fields

    @admin.display(description=_("type"), ordering="message_type")
    def message_kind(self, message) -> str:
        name = MESSAGE_TYPES.get(message.message_type, message.message_type or "–")
        if message.message_type == CALL_ERROR:
            return format_html(
                '<strong class="ocpp-callerror" style="color: var(--error-fg, #ba2121)">'
                "{} {}</strong>",
                name,
                message.error_code,
            )
        return name

    @admin.display(description=_("frame"))
    def payload_pretty(self, message) -> str:
        return pretty_json(message.payload)


@admin.register(StationEvent)
class StationEventAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "station", "kind", "status"]
    list_filter = ["kind"]
    list_select_related = ["station"]
    search_fields = ["=station__station_id", "kind", "status"]
    date_hierarchy = "timestamp"
    fields = ["timestamp", "station", "kind", "status", "data_pretty", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("data"))
    def data_pretty(self, event) -> str:
        return pretty_json(event.data)
