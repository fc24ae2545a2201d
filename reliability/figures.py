"""Uptime figures of a station or a site for a window, as the API and reports give them."""

from datetime import datetime

from reliability.hours import open_intervals
from reliability.intervals import Interval
from reliability.timeline import station_history
from reliability.uptime import UK, port_figures, station_percent
from stations.models import ChargingStation


def station_uptime(station: ChargingStation, start: datetime, end: datetime, method: str) -> dict:
    """One station's uptime in [start, end) by `method`, port by port, with its outages."""
    history = station_history(station, Interval(start, end))
    hours = open_intervals(station.site, history.window) if method == UK else None
    ports = [
        port_figures(
            port,
            segs,
            method=method,
            exclusions=history.exclusions[port],
            open_hours=hours,
        )
        for port, segs in history.timelines.items()
    ]
    return {
        "station_id": station.station_id,
        "start": start,
        "end": end,
        "method": method,
        "uptime_percent": station_percent(ports),
        "connectors": [
            {
                "connector_id": p.connector_id,
                "uptime_percent": p.uptime_percent,
                "outage_seconds": p.outage_seconds,
                "excluded_seconds": p.excluded_seconds,
                "outages": p.outages,
            }
            for p in ports
        ],
    }
