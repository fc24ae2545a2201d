"""Admin for what stations said: the OCPP message log and station events, read-only."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from stations.admin.common import ReadOnlyAdmin, pretty_json
from stations.models import OcppMessage, StationEvent
from stations.templatetags.clock import clock_column

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
MESSAGE_TYPES = {CALL: "Call", CALL_RESULT: "CallResult", CALL_ERROR: "CallError"}


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
        "created_at_clock",
        "station",
        "direction",
        "message_kind",
        "action",
        "unique_id",
    ]
    list_filter = ["direction", MessageTypeFilter, "action"]
    list_select_related = ["station__site"]
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
    created_at_clock = clock_column(OcppMessage, "created_at")

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
    list_display = ["timestamp_clock", "station", "kind", "status"]
    list_filter = ["kind"]
    list_select_related = ["station__site"]
    timestamp_clock = clock_column(StationEvent, "timestamp")
    search_fields = ["=station__station_id", "kind", "status"]
    date_hierarchy = "timestamp"
    fields = ["timestamp", "station", "kind", "status", "data_pretty", "created_at"]
    readonly_fields = fields

    @admin.display(description=_("data"))
    def data_pretty(self, event) -> str:
        return pretty_json(event.data)
