"""Reliability reports as tables (CSV and XLSX): uptime per port for a month and the
trailing twelve months with outages and failed sessions, and each port's state per
15 minutes (the interval data California's CEC asks for).

Months and days are read in each station's site time zone (UTC without a site).
"""

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone

from billing.report_files import csv_bytes, xlsx_bytes
from reliability.failures import KINDS, counts_per_port, failed_sessions
from reliability.figures import station_uptime
from reliability.intervals import Interval, clipped, steps
from reliability.models import UptimeReport
from reliability.timeline import station_history
from reliability.uptime import DOWN, NEVI, UK, UP
from stations.models import ChargingStation

logger = logging.getLogger(__name__)

QUARTER_HOUR = timedelta(minutes=15)


def station_zone(station: ChargingStation) -> ZoneInfo:
    return ZoneInfo(station.site.timezone if station.site and station.site.timezone else "UTC")


def days_window(first: date, last: date, zone: ZoneInfo) -> Interval:
    """From `first` 00:00 to the day after `last` 00:00, local time, as UTC."""
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return Interval(start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC")))


def month_first(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _minutes(seconds: int) -> str:
    return f"{seconds / 60:.1f}"


MONTHLY_COLUMNS = [
    "site",
    "station_id",
    "connector_id",
    "month_nevi_percent",
    "month_uk_percent",
    "trailing_12_months_nevi_percent",
    "trailing_12_months_uk_percent",
    "month_outage_minutes",
    "month_excluded_minutes",
    *(f"failed_{kind}" for kind in KINDS),
]
OUTAGE_COLUMNS = ["site", "station_id", "connector_id", "start", "end", "cause", "error_code",
                  "excluded_seconds"]  # fmt: skip
FAILURE_COLUMNS = ["site", "station_id", "connector_id", "at", "kind", "session", "detail"]
INTERVAL_COLUMNS = ["site", "station_id", "connector_id", "interval_start", "interval_end",
                    "state", "up_seconds", "down_seconds", "unknown_seconds", "cause"]  # fmt: skip


def monthly_tables(stations: list[ChargingStation], first: date, last: date, progress=None):
    """{sheet: (columns, rows)} for the months from `first` to `last` (the trailing
    twelve months end with `last`'s month)."""
    uptime, outages, failures = [], [], []
    for index, station in enumerate(stations, start=1):
        zone = station_zone(station)
        window = days_window(first, last, zone)
        trailing = days_window(month_first(last, 11), last, zone)
        month = {m: station_uptime(station, *window, m) for m in (NEVI, UK)}
        year = {m: station_uptime(station, *trailing, m) for m in (NEVI, UK)}
        failed = failed_sessions(station, window)
        counts = counts_per_port(failed)
        site = station.site.name if station.site else ""
        for n, port in enumerate(month[NEVI]["connectors"]):
            connector = port["connector_id"]
            uptime.append(
                [
                    site,
                    station.station_id,
                    connector,
                    port["uptime_percent"] or "",
                    month[UK]["connectors"][n]["uptime_percent"] or "",
                    year[NEVI]["connectors"][n]["uptime_percent"] or "",
                    year[UK]["connectors"][n]["uptime_percent"] or "",
                    _minutes(port["outage_seconds"]),
                    _minutes(port["excluded_seconds"]),
                    *(counts.get(connector, {}).get(kind, 0) for kind in KINDS),
                ]
            )
            outages += [
                [site, station.station_id, connector, o["start"].isoformat(),
                 o["end"].isoformat(), o["cause"], o["error_code"], o["excluded_seconds"]]
                for o in port["outages"]
            ]  # fmt: skip
        uptime.append(
            [site, station.station_id, "all", month[NEVI]["uptime_percent"] or "",
             month[UK]["uptime_percent"] or "", year[NEVI]["uptime_percent"] or "",
             year[UK]["uptime_percent"] or "", "", "",
             *(sum(c.get(kind, 0) for c in counts.values()) for kind in KINDS)]
        )  # fmt: skip
        failures += [
            [site, station.station_id, f["connector_id"] or "", f["at"].isoformat(), f["kind"],
             f["session"] or "", f["detail"]]
            for f in failed
        ]  # fmt: skip
        if progress:
            progress(index)
    return {
        "Uptime": (MONTHLY_COLUMNS, uptime),
        "Outages": (OUTAGE_COLUMNS, outages),
        "Failed sessions": (FAILURE_COLUMNS, failures),
    }


def interval_table(stations: list[ChargingStation], first: date, last: date, progress=None):
    """Each port's state per 15 minutes: `up` or `down` when it was so throughout,
    else the state it was in longest, with the seconds of each."""
    rows = []
    for index, station in enumerate(stations, start=1):
        window = days_window(first, last, station_zone(station))
        history = station_history(station, window)
        site = station.site.name if station.site else ""
        for connector, segments in history.timelines.items():
            for quarter in steps(window, QUARTER_HOUR):
                seconds = {UP: 0, DOWN: 0, "unknown": 0}
                causes: dict[str, int] = {}
                for segment in segments:
                    for part in clipped([segment.interval], quarter):
                        seconds[segment.state] += part.seconds
                        if segment.state == DOWN:
                            causes[segment.cause] = causes.get(segment.cause, 0) + part.seconds
                state = max(seconds, key=lambda s: seconds[s])
                cause = max(causes, key=lambda c: causes[c]) if causes else ""
                rows.append(
                    [site, station.station_id, connector, quarter.start.isoformat(),
                     quarter.end.isoformat(), state, seconds[UP], seconds[DOWN],
                     seconds["unknown"], cause]
                )  # fmt: skip
        if progress:
            progress(index)
    return {"Status per 15 minutes": (INTERVAL_COLUMNS, rows)}


def report_generate(report: UptimeReport) -> UptimeReport:
    """Compute a report and attach its files; a failure is recorded on it."""
    _save(report, status=UptimeReport.Status.RUNNING, progress=0, error="")
    try:
        stations = _stations(report)

        def progress(done: int) -> None:
            if done % 10 == 0 or done == len(stations):
                _save(report, progress=5 + 85 * done // max(1, len(stations)))

        build = interval_table if report.kind == UptimeReport.Kind.INTERVALS else monthly_tables
        sheets = build(stations, report.period_start, report.period_end, progress)
        name = f"{report.kind}-{report.period_start}-{report.period_end}-{report.pk}"
        first_columns, first_rows = next(iter(sheets.values()))
        report.csv_file.save(
            f"{name}.csv", ContentFile(csv_bytes(first_columns, first_rows)), save=False
        )
        report.xlsx_file.save(f"{name}.xlsx", ContentFile(xlsx_bytes(sheets)), save=False)
        report.save(update_fields=["csv_file", "xlsx_file"])
        _save(report, status=UptimeReport.Status.DONE, progress=100, finished_at=timezone.now())
    except Exception as error:  # noqa: BLE001 - recorded on the report, shown to the operator
        logger.exception("Uptime report %s failed", report.pk)
        _save(report, status=UptimeReport.Status.FAILED, error=str(error) or repr(error),
              finished_at=timezone.now())  # fmt: skip
    return report


def _stations(report: UptimeReport) -> list[ChargingStation]:
    stations = ChargingStation.objects.select_related("site").order_by("site__name", "station_id")
    if report.station_id:
        stations = stations.filter(pk=report.station_id)
    elif report.site_id:
        stations = stations.filter(site_id=report.site_id)
    return list(stations)


def _save(report: UptimeReport, **fields) -> None:
    for name, value in fields.items():
        setattr(report, name, value)
    UptimeReport.objects.filter(pk=report.pk).update(**fields)
