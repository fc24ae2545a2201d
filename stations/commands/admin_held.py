"""Admin: what stations hold (monitors, display messages, installed certificates,
customer-information reports), each with the command that removes it from its station.

The rows are written from the stations' answers (stations/station_data/): here they are
viewed, and an action sends the command; the row goes once the station says so.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stations.commands.admin import ReadOnly, _json, _send_each
from stations.models import (
    CustomerInformationReport,
    DisplayMessage,
    InstalledCertificate,
    VariableMonitor,
)
from stations.templatetags.clock import clock_column

HASH_FIELDS = ("hash_algorithm", "issuer_name_hash", "issuer_key_hash", "serial_number")


@admin.register(VariableMonitor)
class VariableMonitorAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "station",
        "monitor_id",
        "component",
        "evse_id",
        "variable",
        "type",
        "value",
        "severity",
        "transaction",
        "updated_at_clock",
    ]
    list_filter = ["type", "severity"]
    list_select_related = ["station__site"]
    updated_at_clock = clock_column(VariableMonitor, "updated_at")
    search_fields = ["=station__station_id", "component", "variable"]
    actions = ["clear"]

    @admin.action(description=_("Clear selected monitors from their stations"))
    def clear(self, request, queryset) -> None:
        by_station: dict = {}
        for monitor in queryset.select_related("station"):
            by_station.setdefault(monitor.station, []).append(monitor.monitor_id)
        items = [
            (str(station), station, "clear_variable_monitoring", {"ids": ids})
            for station, ids in by_station.items()
        ]
        _send_each(self, request, items)


@admin.register(DisplayMessage)
class DisplayMessageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = [
        "station",
        "message_id",
        "text",
        "priority",
        "state",
        "starts_at_clock",
        "ends_at_clock",
    ]
    list_filter = ["priority", "state"]
    list_select_related = ["station__site"]
    starts_at_clock = clock_column(DisplayMessage, "starts_at")
    ends_at_clock = clock_column(DisplayMessage, "ends_at")
    search_fields = ["=station__station_id"]
    exclude = ["contents", "display"]
    readonly_fields = ["contents_pretty"]
    actions = ["clear"]

    @admin.display(description=_("text"))
    def text(self, message) -> str:
        return " / ".join(c.get("content", "") for c in message.contents)

    @admin.display(description=_("texts"))
    def contents_pretty(self, message) -> str:
        return _json(message.contents)

    @admin.action(description=_("Clear selected messages from their stations"))
    def clear(self, request, queryset) -> None:
        items = [
            (str(m.station), m.station, "clear_display_message", {"id": m.message_id})
            for m in queryset.select_related("station")
        ]
        _send_each(self, request, items)


@admin.register(InstalledCertificate)
class InstalledCertificateAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["station", "certificate_type", "serial_number", "hash_algorithm", "parent"]
    list_filter = ["certificate_type"]
    list_select_related = ["station", "parent"]
    search_fields = ["=station__station_id", "serial_number"]
    actions = ["delete_from_station"]

    @admin.action(description=_("Delete selected certificates from their stations"))
    def delete_from_station(self, request, queryset) -> None:
        items = [
            (
                str(c.station),
                c.station,
                "delete_certificate",
                {name: getattr(c, name) for name in HASH_FIELDS},
            )
            for c in queryset.select_related("station")
        ]
        _send_each(self, request, items)


@admin.register(CustomerInformationReport)
class CustomerInformationReportAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["station", "request_id", "complete", "generated_at_clock", "updated_at_clock"]
    list_filter = ["complete"]
    list_select_related = ["station__site"]
    generated_at_clock = clock_column(CustomerInformationReport, "generated_at")
    updated_at_clock = clock_column(CustomerInformationReport, "updated_at")
    search_fields = ["=station__station_id"]
    exclude = ["parts"]
    readonly_fields = ["report_text"]

    @admin.display(description=_("report"))
    def report_text(self, report) -> str:
        return _json(report.text)
