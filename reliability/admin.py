"""Reliability in the admin: exclusions and opening hours are edited here; the
histories and reports are read only."""

from django.contrib import admin

from reliability.models import (
    CentralSystemRun,
    ConnectivityPeriod,
    Exclusion,
    OpeningHours,
    UptimeReport,
)
from stations.templatetags.clock import clock_column


@admin.register(Exclusion)
class ExclusionAdmin(admin.ModelAdmin):
    list_display = [
        "start_clock",
        "end_clock",
        "reason",
        "site",
        "station",
        "connector_id",
        "created_by",
    ]
    list_filter = ["reason", "site"]
    # A site's exclusion in that site's zone, a station's in its site's zone.
    list_select_related = ["site", "station__site", "created_by"]
    start_clock = clock_column(Exclusion, "start", site=("site", "station.site"))
    end_clock = clock_column(Exclusion, "end", site=("site", "station.site"))
    search_fields = ["station__station_id", "site__name", "note"]
    date_hierarchy = "start"
    autocomplete_fields = ["station"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["site", "weekday", "opens", "closes"]
    list_filter = ["site", "weekday"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConnectivityPeriod)
class ConnectivityPeriodAdmin(ReadOnlyAdmin):
    list_display = ["station", "started_at_clock", "ended_at_clock"]
    list_select_related = ["station__site"]
    search_fields = ["station__station_id"]
    started_at_clock = clock_column(ConnectivityPeriod, "started_at")
    ended_at_clock = clock_column(ConnectivityPeriod, "ended_at")
    date_hierarchy = "started_at"


@admin.register(CentralSystemRun)
class CentralSystemRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "alive_at"]


@admin.register(UptimeReport)
class UptimeReportAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "status", "progress", "created_at", "requested_by"]
    list_filter = ["kind", "status"]
    # Kind, period and scope first: the model lists what it inherits (ReportRun) first.
    fields = [
        "kind",
        "period_start",
        "period_end",
        "site",
        "station",
        "status",
        "progress",
        "error",
        "csv_file",
        "xlsx_file",
        "requested_by",
        "finished_at",
    ]
