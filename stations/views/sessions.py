"""The sessions page and its CSV export."""

import csv

from channels.db import database_sync_to_async
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone

from stations import selectors
from stations.api.serializers import price_of
from stations.views.access import operator_required
from stations.views.common import live_config, paginate, query_without_page, render_page
from stations.views.forms import SessionFilterForm

CSV_COLUMNS = (
    "id",
    "station_id",
    "site",
    "connector_id",
    "transaction_id",
    "id_tag",
    "state",
    "started_at",
    "ended_at",
    "time_zone",
    "meter_start_wh",
    "meter_stop_wh",
    "energy_wh",
    "stop_reason",
    "price_total",
    "price_currency",
)
CSV_BATCH = 2000
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@operator_required
def session_list(request):
    form = SessionFilterForm(request.GET or None)
    sessions = selectors.session_list(form.filters())
    if request.GET.get("format") == "csv":
        return sessions_csv(sessions)
    context = {
        "form": form,
        "page": paginate(request, sessions),
        "query": query_without_page(request),
        # Rows are re-read as sessions start, meter, end and are priced.
        "live": live_config("network"),
    }
    fragments = {"rows": "dashboard/_session_rows.html"}
    return render_page(request, "dashboard/sessions.html", context, fragments)


@operator_required
def session_detail(request, pk: int):
    """One session: its figures, meter chart, price lines and who stopped it."""
    session = selectors.session_detail(pk)
    if session is None:
        raise Http404(pk)
    context = {
        "session": session,
        "price": price_of(session),
        "live": live_config("station", session.station),
    }
    fragments = {"figures": "dashboard/_session_figures.html"}
    return render_page(request, "dashboard/session_detail.html", context, fragments)


def sessions_csv(sessions) -> StreamingHttpResponse:
    """Stream the rows in id order, so a year of sessions never sits in memory at once."""
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(_csv_chunks(sessions), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sessions-{stamp}.csv"'
    return response


async def _csv_chunks(sessions):
    # Asynchronous, because daphne would otherwise read a sync iterator into a list.
    writer = csv.writer(_Echo())
    # A BOM, so spreadsheet programs read UTF-8 (station ids, tokens).
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    last_pk = 0
    while batch := await database_sync_to_async(_csv_batch)(sessions, last_pk):
        last_pk = batch[-1].pk
        yield "".join(writer.writerow(_csv_row(session)) for session in batch)


def _csv_batch(sessions, after_pk: int) -> list:
    return list(sessions.filter(pk__gt=after_pk).order_by("pk")[:CSV_BATCH])


def _csv_row(session) -> list:
    zone = selectors.zone(session.tz)
    price = price_of(session)  # billing's charge, joined in by the selector
    row = [
        session.pk,
        session.station.station_id,
        session.station.site.name if session.station.site else "",
        session.connector.connector_id if session.connector else "",
        session.transaction_id or session.reported_transaction_id,
        session.id_tag,
        session.state,
        session.started_at.astimezone(zone).isoformat(),
        session.ended_at.astimezone(zone).isoformat() if session.ended_at else "",
        zone.key,
        session.meter_start_wh,
        "" if session.meter_stop_wh is None else session.meter_stop_wh,
        session.energy_wh,
        session.stop_reason,
        "" if price["total"] is None else price["total"],
        price["currency"],
    ]
    return [_safe_cell(value) for value in row]


def _safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value
