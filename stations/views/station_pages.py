"""The station list, one station's page, its session charts and its message log."""

import datetime as dt
import json

from django.http import Http404, JsonResponse

from stations import selectors
from stations.commands.views import command_panel, command_service, confirmation_texts
from stations.views.access import operator_required
from stations.views.common import (
    live_config,
    paginate,
    query_without_page,
    render_page,
    station_or_404,
    status_labels,
)
from stations.views.forms import MessageFilterForm, StationFilterForm

MESSAGES_PER_PAGE = 50


@operator_required
def station_list(request):
    form = StationFilterForm(request.GET or None)
    context = {
        "form": form,
        "page": paginate(request, selectors.station_list(form.filters())),
        "query": query_without_page(request),
        "live": live_config("network"),
        "status_labels": status_labels(),
    }
    return render_page(
        request,
        "dashboard/station_list.html",
        context,
        fragments={"rows": "dashboard/_station_rows.html"},
    )


@operator_required
def station_detail(request, station_id: str):
    station = station_or_404(station_id)
    context = {
        "station": station,
        "tz": station.site.timezone if station.site else selectors.DEFAULT_ZONE,
        "connectors": selectors.station_connectors(station),
        "events": selectors.station_events(station),
        "recent_sessions": selectors.station_recent_sessions(station),
        "recent_commands": selectors.station_commands(station),
        "live": live_config("station", station),
        "status_labels": status_labels(),
        "commands_enabled": command_service() is not None,
        "confirmations": confirmation_texts(),
    }
    if request.GET.get("fragment") == "held":
        _held(context, station)
    elif request.GET.get("fragment") != "live":
        _held(context, station)
        context["device_model"] = selectors.station_device_model(station)
        context["reservations"] = selectors.station_reservations(station)
        context["charging_profiles"] = selectors.station_charging_profiles(station)
        context["commands"] = command_panel(station, context["connectors"])
    return render_page(
        request,
        "dashboard/station_detail.html",
        context,
        fragments={"live": "dashboard/_station_live.html", "held": "dashboard/_held.html"},
    )


def _held(context: dict, station) -> None:
    """What the station holds (the page's `held` fragment)."""
    context["monitors"] = selectors.station_monitors(station)
    context["display_messages"] = selectors.station_display_messages(station)
    context["certificates"] = selectors.station_certificates(station)
    context["customer_reports"] = selectors.station_customer_reports(station)
    context["firmware_updates"] = selectors.firmware_history(station)


@operator_required
def session_samples(request, station_id: str, session_pk: int):
    """A session's power and energy samples (JSON); `?after=` Unix seconds for new ones."""
    station = station_or_404(station_id)
    session = selectors.session_for_station(station, session_pk)
    if session is None:
        raise Http404(session_pk)
    return JsonResponse(selectors.session_samples(session, after=_after(request)))


def _after(request) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(float(request.GET["after"]), tz=dt.UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None


@operator_required
def station_messages(request, station_id: str):
    station = station_or_404(station_id)
    form = MessageFilterForm(request.GET or None, actions=selectors.message_actions(station))
    page = paginate(request, selectors.message_list(station, form.filters()), MESSAGES_PER_PAGE)
    for message in page:
        message.pretty, message.error_description = pretty_frame(message.payload)
    context = {
        "station": station,
        "tz": station.site.timezone if station.site else selectors.DEFAULT_ZONE,
        "form": form,
        "page": page,
        "query": query_without_page(request),
    }
    return render_page(request, "dashboard/messages.html", context)


# OCPP-J frames: [2, id, action, payload], [3, id, payload], [4, id, code, text, details].
_PAYLOAD_INDEX = {2: 3, 3: 2, 4: 4}


def pretty_frame(text: str) -> tuple[str, str]:
    """The frame's payload as indented JSON, and a CallError's description."""
    try:
        frame = json.loads(text)
    except ValueError:
        return text, ""
    if not isinstance(frame, list) or not frame or frame[0] not in _PAYLOAD_INDEX:
        return json.dumps(frame, indent=2, ensure_ascii=False), ""
    index = _PAYLOAD_INDEX[frame[0]]
    payload = frame[index] if len(frame) > index else None
    description = str(frame[3]) if frame[0] == 4 and len(frame) > 3 else ""
    return json.dumps(payload, indent=2, ensure_ascii=False), description
