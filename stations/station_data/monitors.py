"""Variable monitors a station holds (OCPP 2.0.1 N: monitoring).

A monitor is a row while the station holds it: set by an accepted SetVariableMonitoring
item, reported by NotifyMonitoringReport, deleted when ClearVariableMonitoring clears
it (or says the station has no such monitor). Each monitor dict holds VariableMonitor
fields: monitor_id, component, component_instance, evse_id, connector_id, variable,
variable_instance, type, value, severity, transaction.
"""

from stations.models import VariableMonitor
from stations.station_data.common import HeldRows

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

MONITORS = HeldRows(
    model=VariableMonitor,
    key="monitor_id",
    fields=MONITOR_FIELDS,
    what="monitors",
    report_action="get_monitoring_report",
    report_filters=REPORT_FILTERS,
)


def monitors_store(*, station_pk: int, monitors: list[dict]) -> int:
    """Insert or update monitors by their id; returns how many."""
    return MONITORS.store(station_pk, monitors)


def monitors_clear(*, station_pk: int, monitor_ids: list[int]) -> int:
    """Delete the monitors the station cleared; returns how many rows went."""
    return MONITORS.clear(station_pk, monitor_ids)


def monitors_none(*, station_pk: int) -> int:
    """The station holds no monitor (an empty answer to a report of all monitors)."""
    return MONITORS.none(station_pk)


def monitors_report(
    *, station_pk: int, request_id: int | None, last_part: bool, monitors: list[dict]
) -> int:
    """One NotifyMonitoringReport part; the last part of a report of every monitor
    deletes the monitors it did not name."""
    return MONITORS.report(station_pk, request_id, last_part, monitors)
