"""Reports per site and station: sessions, energy, revenue, utilisation, faults.

A report row tracks the run: pending, running (with progress in %), done with its CSV
and XLSX files, or failed with the error. Sessions count in the period they ended;
utilisation is the share of connector time occupied by sessions within the part of the
period the station existed: a station created mid-period is measured from its
creation (and a period still running only up to now), so a new station is not shown
as idle for days it did not exist.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth
from django.utils import timezone

from billing import report_files
from billing.models import ConnectorStatusPeriod, OperatorProfile, Report
from billing.periods import days_bounds, month_days
from billing.pricing.timeofuse import zone
from chargenet.celery import delay_on_commit
from stations.models import ChargingSession, ChargingStation

logger = logging.getLogger(__name__)
ZERO = Decimal(0)


@dataclass
class Totals:
    """What a station, a site or the network did in the period."""

    connectors: int = 0
    sessions: int = 0
    unpriced: int = 0
    energy_wh: int = 0
    occupied: timedelta = timedelta(0)
    capacity: timedelta = timedelta(0)
    faults: int = 0
    revenue: dict[str, list[Decimal]] = field(default_factory=dict)  # currency: net, tax, gross

    def add(self, other: "Totals") -> None:
        self.connectors += other.connectors
        self.sessions += other.sessions
        self.unpriced += other.unpriced
        self.energy_wh += other.energy_wh
        self.occupied += other.occupied
        self.capacity += other.capacity
        self.faults += other.faults
        for currency, amounts in other.revenue.items():
            mine = self.revenue.setdefault(currency, [ZERO, ZERO, ZERO])
            for index, amount in enumerate(amounts):
                mine[index] += amount

    @property
    def utilisation_percent(self) -> Decimal:
        if not self.capacity:
            return ZERO
        share = Decimal(self.occupied / timedelta(seconds=1)) / Decimal(
            self.capacity / timedelta(seconds=1)
        )
        return (share * 100).quantize(Decimal("0.01"))


@transaction.atomic
def report_request(
    *,
    period_start: date,
    period_end: date,
    site=None,
    station=None,
    requested_by=None,
    kind: str = Report.Kind.ON_DEMAND,
) -> Report:
    """Record a report and queue its generation for after the commit."""
    if period_end < period_start:
        raise ValueError("The period ends before it starts.")
    report = Report.objects.create(
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        site=site,
        station=station,
        requested_by=requested_by,
    )
    delay_on_commit("billing.tasks.generate_report", report.pk)
    return report


def report_request_monthly(*, year: int, month: int) -> Report:
    """The network's report for a month; asking twice returns the first one."""
    first, last = month_days(year, month)
    existing = Report.objects.filter(
        kind=Report.Kind.MONTHLY, period_start=first, period_end=last
    ).first()
    return existing or report_request(period_start=first, period_end=last, kind=Report.Kind.MONTHLY)


def _progress(report: Report, **fields) -> None:
    """Save progress in its own statement, visible to the page while the run goes on."""
    Report.objects.filter(pk=report.pk).update(**fields)
    for name, value in fields.items():
        setattr(report, name, value)


def report_generate(*, report: Report, now: datetime | None = None) -> Report:
    """Compute the report and attach its CSV and XLSX files; a failure is recorded."""
    now = now or timezone.now()
    _progress(report, status=Report.Status.RUNNING, progress=0, started_at=now, error="")
    try:
        tz_name = OperatorProfile.current().timezone
        start, end = days_bounds(report.period_start, report.period_end, tz_name)
        stations = _stations(report)
        rows: list[tuple[str, str, str, Totals]] = []
        per_site: dict[str, Totals] = defaultdict(Totals)
        network = Totals()
        for index, station in enumerate(stations, start=1):
            totals = station_totals(station, start, end, now)
            site_name = station.site.name if station.site else ""
            rows.append(("station", site_name, station.station_id, totals))
            per_site[site_name].add(totals)
            network.add(totals)
            if index % 10 == 0 or index == len(stations):
                _progress(report, progress=5 + 85 * index // max(1, len(stations)))
        rows += [("site", name, "", totals) for name, totals in sorted(per_site.items())]
        rows.append(("network", "", "", network))
        daily = daily_by_site(start, end, tz_name, stations=stations)
        _write_files(report, rows, daily)
        summary = report_files.summary(network)
        _progress(
            report,
            status=Report.Status.DONE,
            progress=100,
            summary=summary,
            finished_at=timezone.now(),
        )
    except Exception as error:  # noqa: BLE001 - recorded on the report, shown to the operator
        logger.exception("Report %s failed", report.pk)
        _progress(
            report,
            status=Report.Status.FAILED,
            error=str(error) or repr(error),
            finished_at=timezone.now(),
        )
    return report


def _stations(report: Report) -> list[ChargingStation]:
    stations = ChargingStation.objects.select_related("site").order_by("site__name", "station_id")
    if report.station_id:
        stations = stations.filter(pk=report.station_id)
    elif report.site_id:
        stations = stations.filter(site_id=report.site_id)
    return list(stations)


def station_totals(station: ChargingStation, start: datetime, end: datetime, now: datetime):
    """One station's totals for sessions that ended in [start, end)."""
    totals = Totals(connectors=max(1, station.connectors.filter(connector_id__gt=0).count()))
    ended = ChargingSession.objects.filter(
        station=station, state=ChargingSession.State.ENDED, ended_at__gte=start, ended_at__lt=end
    )
    for energy_wh, currency, net, tax, gross in ended.values_list(
        "energy_wh", "charge__currency", "charge__net", "charge__tax", "charge__gross"
    ):
        totals.sessions += 1
        totals.energy_wh += energy_wh
        if currency is None:
            totals.unpriced += 1
            continue
        amounts = totals.revenue.setdefault(currency, [ZERO, ZERO, ZERO])
        amounts[0] += net
        amounts[1] += tax
        amounts[2] += gross
    window_start, window_end = existence_window(station, start, end, now)
    totals.capacity = (window_end - window_start) * totals.connectors
    overlapping = ChargingSession.objects.filter(station=station, started_at__lt=window_end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=window_start)
    )
    for started_at, ended_at in overlapping.values_list("started_at", "ended_at"):
        totals.occupied += max(
            timedelta(0), min(ended_at or window_end, window_end) - max(started_at, window_start)
        )
    totals.occupied = min(totals.occupied, totals.capacity)
    totals.faults = ConnectorStatusPeriod.objects.filter(
        station=station, status="Faulted", started_at__gte=start, started_at__lt=end
    ).count()
    return totals


def existence_window(
    station: ChargingStation, start: datetime, end: datetime, now: datetime
) -> tuple[datetime, datetime]:
    """The part of [start, end) the station existed in, up to now: utilisation's denominator.

    A station exists from its creation, or from its first session if that is earlier
    (a station imported with its history). One created mid-period counts from then;
    occupied time is measured in the same window, so utilisation stays a share of the
    time the station could be used.
    """
    window_end = max(start, min(end, now))
    first_session = ChargingSession.objects.filter(station=station).aggregate(
        first=Min("started_at")
    )["first"]
    existed_from = min(filter(None, (station.created_at, first_session)), default=start)
    return min(max(start, existed_from), window_end), window_end


def daily_by_site(
    start: datetime,
    end: datetime,
    tz_name: str,
    *,
    stations=None,
    monthly: bool = False,
) -> dict[tuple[date, str], Totals]:
    """Sessions, energy and revenue per (local day or month, site) for ended sessions.

    Summed by the database (one row per day, site and currency), so a year of a large
    network's sessions never passes through Python.
    """
    sessions = ChargingSession.objects.filter(
        state=ChargingSession.State.ENDED, ended_at__gte=start, ended_at__lt=end
    )
    if stations is not None:
        sessions = sessions.filter(station__in=stations)
    truncate = TruncMonth if monthly else TruncDay
    rows = (
        sessions.annotate(period=truncate("ended_at", tzinfo=zone(tz_name)))
        .values("period", "station__site__name", "charge__currency")
        .annotate(count=Count("pk"), energy=Sum("energy_wh"), gross=Sum("charge__gross"))
        .order_by()
    )
    result: dict[tuple[date, str], Totals] = defaultdict(Totals)
    for row in rows:
        period = row["period"].astimezone(zone(tz_name)).date()
        totals = result[(period, row["station__site__name"] or "")]
        totals.sessions += row["count"]
        totals.energy_wh += row["energy"] or 0
        if row["charge__currency"] is None:
            totals.unpriced += row["count"]
        else:
            totals.revenue.setdefault(row["charge__currency"], [ZERO, ZERO, ZERO])[2] += row[
                "gross"
            ]
    return dict(sorted(result.items()))


def _write_files(report: Report, rows, daily) -> None:
    stem = f"chargenet-report-{report.pk}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}"
    summary_sheet = report_files.summary_table(rows)
    daily_sheet = report_files.daily_table(daily)
    report.csv_file.save(
        f"{stem}.csv", ContentFile(report_files.csv_bytes(*summary_sheet)), save=False
    )
    report.xlsx_file.save(
        f"{stem}.xlsx",
        ContentFile(
            report_files.xlsx_bytes(
                {"Sites and stations": summary_sheet, "Daily by site": daily_sheet}
            )
        ),
        save=False,
    )
    Report.objects.filter(pk=report.pk).update(
        csv_file=report.csv_file.name, xlsx_file=report.xlsx_file.name, progress=95
    )
