"""Read queries for the operator pages: one function per page or panel, no N+1.

Views call these and format nothing themselves; nothing here writes.
"""

from stations.selectors.common import (
    ACTIVE,
    CONNECTOR_STATUSES,
    DEFAULT_ZONE,
    OFFLINE,
    ONLINE,
    local_midnight,
    zone,
)
from stations.selectors.messages import MessageFilters, message_actions, message_list
from stations.selectors.network import (
    Fault,
    NetworkOverview,
    SiteFigures,
    energy_today_by_site,
    latest_faults,
    network_overview,
)
from stations.selectors.sessions import (
    SessionFilters,
    session_detail,
    session_for_station,
    session_list,
    session_samples,
)
from stations.selectors.station_data import (
    DeviceModelFilters,
    device_model_browse,
    device_model_components,
    firmware_history,
    monitoring_settings,
    station_certificates,
    station_customer_reports,
    station_display_messages,
    station_monitors,
)
from stations.selectors.stations import (
    StationFilters,
    station_by_id,
    station_charging_profiles,
    station_commands,
    station_connectors,
    station_device_model,
    station_events,
    station_exists,
    station_list,
    station_recent_sessions,
    station_reservations,
)

__all__ = [
    "ACTIVE",
    "DeviceModelFilters",
    "device_model_browse",
    "device_model_components",
    "firmware_history",
    "monitoring_settings",
    "station_certificates",
    "station_customer_reports",
    "station_display_messages",
    "station_monitors",
    "CONNECTOR_STATUSES",
    "DEFAULT_ZONE",
    "OFFLINE",
    "ONLINE",
    "Fault",
    "MessageFilters",
    "NetworkOverview",
    "SessionFilters",
    "SiteFigures",
    "StationFilters",
    "energy_today_by_site",
    "latest_faults",
    "local_midnight",
    "message_actions",
    "message_list",
    "network_overview",
    "session_detail",
    "session_for_station",
    "session_list",
    "session_samples",
    "station_by_id",
    "station_charging_profiles",
    "station_commands",
    "station_connectors",
    "station_device_model",
    "station_events",
    "station_exists",
    "station_list",
    "station_recent_sessions",
    "station_reservations",
    "zone",
]
