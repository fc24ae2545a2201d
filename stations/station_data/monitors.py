"""Variable monitors a station holds (OCPP 2.0.1 N: monitoring).

A monitor is a row while the station holds it: set by an accepted SetVariableMonitoring
item, reported by NotifyMonitoringReport, deleted when ClearVariableMonitoring clears
it (or says the station has no such monitor). Each monitor dict holds VariableMonitor
fields: monitor_id, component, component_instance, evse_id, connector_id, variable,
variable_instance, type, value, severity, transaction.
"""

from django.db import transaction
from django.utils import timezone

from stations.models import VariableMonitor
from stations.station_data.common import full_report_sent_at, held_changed

MONITOR_FIELDS = (
    "component",
    "component_instance",
    "evse_id",
    "connector_id",
    "variable",
    "variable_instance",
    "type",
    "value",
    "severity",
    "transaction",
    "updated_at",
)
# What a GetMonitoringReport may filter by: with none it asks for every monitor.
REPORT_FILTERS = ("criteria", "component_variables")


def monitors_store(*, station_pk: int, monitors: list[dict]) -> int:
    """Insert or update monitors by their id; returns how many."""
    now = timezone.now()
    by_id = {m["monitor_id"]: m for m in monitors}  # the last one named wins
    rows = [
        VariableMonitor(station_id=station_pk, updated_at=now, **fields)
        for fields in by_id.values()
    ]
    VariableMonitor.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["station", "monitor_id"],
        update_fields=list(MONITOR_FIELDS),
    )
    held_changed(station_pk, "monitors")
    return len(rows)


def monitors_clear(*, station_pk: int, monitor_ids: list[int]) -> int:
    """Delete the monitors the station cleared; returns how many rows went."""
    monitors = VariableMonitor.objects.filter(station_id=station_pk, monitor_id__in=monitor_ids)
    held_changed(station_pk, "monitors")
    return monitors.delete()[0]


def monitors_none(*, station_pk: int) -> int:
    """The station holds no monitor (an empty answer to a report of all monitors)."""
    held_changed(station_pk, "monitors")
    return VariableMonitor.objects.filter(station_id=station_pk).delete()[0]


@transaction.atomic
def monitors_report(
    *, station_pk: int, request_id: int | None, last_part: bool, monitors: list[dict]
) -> int:
    """One NotifyMonitoringReport part; the last part of a report of every monitor
    deletes the monitors it did not name."""
    stored = monitors_store(station_pk=station_pk, monitors=monitors)
    if last_part:
        asked_at = full_report_sent_at(
            station_pk=station_pk,
            request_id=request_id,
            action="get_monitoring_report",
            filters=REPORT_FILTERS,
        )
        if asked_at is not None:
            VariableMonitor.objects.filter(station_id=station_pk, updated_at__lt=asked_at).delete()
    return stored
