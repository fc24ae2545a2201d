"""Reliability pages for operators: uptime per station and port for a month and the
trailing twelve months, a station's outage log and failed sessions, exclusions, and
uptime reports (request, progress, download)."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from reliability.failures import failed_sessions
from reliability.figures import station_uptime
from reliability.forms import ExclusionForm, PeriodForm, ReportForm
from reliability.models import Alarm, Exclusion, UptimeReport
from reliability.reports import days_window, month_first, station_zone
from reliability.services import report_request
from reliability.uptime import NEVI, UK
from stations.models import ChargingStation
from stations.views.access import operator_required
from stations.views.common import live_config, render_page

STATIONS_PER_PAGE = 25
RECENT = 30
RECENT_ALARMS = 200


def _period(request) -> tuple[date, date, str]:
    """The month asked for (default: this one, to today) and the method."""
    form = PeriodForm(request.GET or None)
    today = timezone.localdate()
    month = (form.is_valid() and form.cleaned_data["month"]) or today
    first = month.replace(day=1)
    last = month_first(first, -1) - timedelta(days=1)
    if first <= today:  # this month: up to today
        last = min(last, today)
    method = (form.is_valid() and form.cleaned_data["method"]) or NEVI
    return first, last, method


def _rows(station: ChargingStation, first: date, last: date, method: str) -> dict:
    zone = station_zone(station)
    month = station_uptime(station, *days_window(first, last, zone), method)
    year = station_uptime(station, *days_window(month_first(last, 11), last, zone), method)
    ports = [
        {
            **port,
            "year_percent": year["connectors"][n]["uptime_percent"],
            "outage_minutes": port["outage_seconds"] // 60,
            "outages": [
                {
                    **o,
                    "minutes": int((o["end"] - o["start"]).total_seconds()) // 60,
                    "excluded_minutes": o["excluded_seconds"] // 60,
                }
                for o in port["outages"]
            ],
        }
        for n, port in enumerate(month["connectors"])
    ]
    return {
        "station": station,
        "month": month,
        "year": year,
        "ports": ports,
        "outage_count": sum(len(p["outages"]) for p in ports),
    }


@operator_required
@require_GET
def overview(request):
    first, last, method = _period(request)
    stations = ChargingStation.objects.select_related("site").order_by("site__name", "station_id")
    page = Paginator(stations, STATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "first": first,
        "last": last,
        "method": method,
        "methods": [(NEVI, "NEVI"), (UK, "UK")],
        "period_form": PeriodForm(initial={"month": first, "method": method}),
        "page": page,
        "rows": [_rows(station, first, last, method) for station in page],
    }
    return render(request, "reliability/overview.html", context)


@operator_required
@require_GET
def station_detail(request, station_id: str):
    station = get_object_or_404(
        ChargingStation.objects.select_related("site"), station_id=station_id
    )
    first, last, method = _period(request)
    window = days_window(first, last, station_zone(station))
    context = {
        "first": first,
        "last": last,
        "method": method,
        "period_form": PeriodForm(initial={"month": first, "method": method}),
        "row": _rows(station, first, last, method),
        "failures": failed_sessions(station, window),
        "zone": station_zone(station),
    }
    return render(request, "reliability/station.html", context)


@operator_required
@require_GET
def alarms(request):
    """Open alarms first, then the latest cleared; live."""
    rows = Alarm.objects.select_related("station").order_by(
        F("cleared_at").desc(nulls_first=True), "-raised_at"
    )[:RECENT_ALARMS]
    return render_page(
        request,
        "reliability/alarms.html",
        {"alarms": rows, "live": live_config("network")},
        fragments={"alarms": "reliability/_alarm_table.html"},
    )


@operator_required
@require_http_methods(["GET", "POST"])
def exclusions(request):
    form = ExclusionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        exclusion = form.save(commit=False)
        exclusion.created_by = request.user
        exclusion.save()
        messages.success(request, _("The exclusion is recorded."))
        return redirect("reliability:exclusions")
    recent = Exclusion.objects.select_related("site", "station", "created_by")[:RECENT]
    return render(request, "reliability/exclusions.html", {"form": form, "exclusions": recent})


@operator_required
@require_http_methods(["GET", "POST"])
def reports(request):
    today = timezone.localdate()
    form = ReportForm(
        request.POST or None,
        initial={
            "period_start": month_first(today, 1),
            "period_end": today.replace(day=1) - timedelta(days=1),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            report_request(**form.cleaned_data, requested_by=request.user)
        except ValueError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The report is being made; it appears here when ready."))
            return redirect("reliability:uptime-reports")
    recent = UptimeReport.objects.select_related("site", "station")[:RECENT]
    return render(request, "reliability/reports.html", {"form": form, "reports": recent})


@operator_required
@require_GET
def report_status(request, pk: int):
    report = get_object_or_404(UptimeReport, pk=pk)
    return JsonResponse(
        {
            "id": report.pk,
            "status": report.status,
            "progress": report.progress,
            "error": report.error,
        }
    )


@operator_required
@require_GET
def report_download(request, pk: int, fmt: str):
    report = get_object_or_404(UptimeReport, pk=pk)
    file = {"csv": report.csv_file, "xlsx": report.xlsx_file}.get(fmt)
    if not file:
        raise Http404
    return FileResponse(file.open("rb"), as_attachment=True, filename=file.name.rsplit("/", 1)[-1])
