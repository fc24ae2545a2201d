"""Admin for charging sessions and their meter data, read-only: stations report them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stations.admin.common import ReadOnlyAdmin, kwh, pretty_json
from stations.api.serializers import price_of
from stations.commands.admin import soft_stop
from stations.models import ChargingSession, MeterSample, SessionMeterSummary
from stations.templatetags.clock import clock_column, clock_text, zone_for


@admin.register(ChargingSession)
class ChargingSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "station",
        "connector_number",
        "id_tag",
        "state",
        "energy",
        "started",
        "ended",
        "price",
        "stopped_by",
    ]
    list_filter = ["state", "station__site", "station__kind"]
    list_select_related = [
        "station__site",
        "connector",
        "charge",
        "stop_requested_by",
    ]
    search_fields = ["transaction_id", "id_tag", "station__station_id"]
    date_hierarchy = "started_at"
    exclude = ["flags"]
    readonly_fields = ["energy", "flag_list", "price", "price_lines_pretty", "stopped_by"]
    actions = [soft_stop]

    @admin.display(description=_("connector"), ordering="connector__connector_id")
    def connector_number(self, session):
        return session.connector.connector_id if session.connector else "–"

    @admin.display(description=_("energy"), ordering="energy_wh")
    def energy(self, session) -> str:
        return kwh(session.energy_wh)

    # Billing owns the price (its SessionCharge); the station core only shows it.
    @admin.display(description=_("price"), ordering="charge__gross")
    def price(self, session) -> str:
        price = price_of(session)
        if price["total"] is None:
            return "–"
        return f"{price['total']} {price['currency']}"

    # In the site's time zone, labelled, like every page (stations.templatetags.clock).
    @admin.display(description=_("started"), ordering="started_at")
    def started(self, session) -> str:
        return clock_text(session.started_at, zone_for(site=session.station.site))

    @admin.display(description=_("ended"), ordering="ended_at")
    def ended(self, session) -> str:
        return clock_text(session.ended_at, zone_for(site=session.station.site))

    @admin.display(description=_("stopped by"))
    def stopped_by(self, session) -> str:
        """Who asked for the stop: an operator or driver by command, else the card."""
        if session.stop_requested_by_id:
            return session.stop_requested_by.get_username()
        return session.stop_id_tag or "–"

    @admin.display(description=_("flags"))
    def flag_list(self, session) -> str:
        return ", ".join(session.flags) or "–"

    @admin.display(description=_("price lines"))
    def price_lines_pretty(self, session) -> str:
        return pretty_json(price_of(session)["lines"])


@admin.register(MeterSample)
class MeterSampleAdmin(ReadOnlyAdmin):
    list_display = [
        "timestamp_clock",
        "station",
        "connector_id",
        "session_id",
        "measurand",
        "phase",
        "location",
        "value",
        "unit",
    ]
    list_select_related = ["station__site"]
    timestamp_clock = clock_column(MeterSample, "timestamp")
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
        "first_at_clock",
        "last_at_clock",
        "energy",
        "power_max_w",
        "power_avg_w",
        "current_max_a",
    ]
    list_select_related = ["session__station__site"]
    first_at_clock = clock_column(SessionMeterSummary, "first_at", site="session.station.site")
    last_at_clock = clock_column(SessionMeterSummary, "last_at", site="session.station.site")
    search_fields = ["=session__station__station_id", "=session__transaction_id"]
    date_hierarchy = "first_at"
    exclude = ["power_samples", "power_sum_w"]

    @admin.display(description=_("energy in the samples"))
    def energy(self, summary) -> str:
        if summary.energy_first_wh is None:
            return "–"
        return kwh(summary.energy_last_wh - summary.energy_first_wh)
