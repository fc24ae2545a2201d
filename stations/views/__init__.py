"""Operator pages: server-rendered, refreshed live over /ws/live/ (stations.sockets.live)."""

from stations.commands.views import station_command
from stations.views.network import overview
from stations.views.sessions import session_list
from stations.views.station_pages import (
    session_samples,
    station_detail,
    station_list,
    station_messages,
)

__all__ = [
    "overview",
    "session_list",
    "session_samples",
    "station_command",
    "station_detail",
    "station_list",
    "station_messages",
]
