"""Admin for the network's shape: sites, stations (with connectors and recent sessions), connectors.

Operators provision stations here (site, kind, password, registration); what a station
reports about itself is read-only.
"""

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from stations.admin.common import kwh
from stations.admin.station_import import station_import_view
from stations.commands.admin import CONNECTOR_ACTIONS, STATION_ACTIONS
from stations.models import ChargingSession, ChargingStation, Connector, Site
from stations.services.registration import stations_registration_set
from stations.templatetags.clock import clock_column

RECENT_SESSIONS = 10


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "max_power_w", "station_count", "created_at_clock"]
    search_fields = ["name", "address"]
    created_at_clock = clock_column(Site, "created_at", site="")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_station_count=Count("stations"))

    @admin.display(description=_("stations"), ordering="_station_count")
    def station_count(self, site) -> int:
        return site._station_count


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
        fields = [
            "station_id",
            "site",
            "kind",
            "vendor",
            "model",
            "registration_status",
            "security_profile",
        ]

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
        "last_seen_clock",
    ]
    list_filter = [
        "site",
        "kind",
        "ocpp_version",
        "registration_status",
        "security_profile",
        "connected",
    ]
    list_select_related = ["site"]
    search_fields = ["station_id", "vendor", "model", "serial_number"]
    last_seen_clock = clock_column(ChargingStation, "last_seen", site="site")
    actions = ["accept_registration", "reject_registration", *STATION_ACTIONS]
    inlines = [ConnectorInline, RecentSessionInline]
    # The list's "Import CSV" button (templates/admin/stations/chargingstation/).
    change_list_template = "admin/stations/chargingstation/change_list.html"

    def get_urls(self):
        import_view = self.admin_site.admin_view(self.import_csv)
        return [
            path("import-csv/", import_view, name="stations_chargingstation_import_csv"),
            *super().get_urls(),
        ]

    def import_csv(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return station_import_view(self, request)

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
            {
                "fields": [
                    "registration_status",
                    "security_profile",
                    "has_password",
                    "new_password",
                ]
            },
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
        count = stations_registration_set(
            station_pks=list(queryset.values_list("pk", flat=True)), status=status
        )
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
        "status_since_clock",
        "max_power_w",
    ]
    list_filter = ["status", "station__site", "station__kind"]
    list_select_related = ["station__site"]
    status_since_clock = clock_column(Connector, "status_since")
    search_fields = ["station__station_id"]
    readonly_fields = ["status", "error_code", "info", "vendor_error_code", "status_since"]
    raw_id_fields = ["station"]
    actions = CONNECTOR_ACTIONS
