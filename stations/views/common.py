"""Small helpers the page views share: fragments, pagination, labels."""

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from stations import selectors
from stations.models import ChargingStation

PAGE_SIZE = 50


def render_page(request, template: str, context: dict, fragments: dict[str, str] | None = None):
    """The whole page, or only the fragment `?fragment=NAME` a live page refreshes."""
    fragment = request.GET.get("fragment")
    if fragments and fragment in fragments:
        return render(request, fragments[fragment], context)
    return render(request, template, context)


def paginate(request, items, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The current filters as a query string, for pagination and export links."""
    query = request.GET.copy()
    for name in ("page", "fragment", "format"):
        query.pop(name, None)
    return query.urlencode()


def station_or_404(station_id: str) -> ChargingStation:
    station = selectors.station_by_id(station_id)
    if station is None:
        raise Http404(station_id)
    return station


def status_labels() -> dict[str, str]:
    """Connector statuses in the request's language, for the live script."""
    return {status: gettext(status) for status in selectors.CONNECTOR_STATUSES}


def live_config(subscribe: str, station: ChargingStation | None = None) -> dict:
    """What the page's live socket subscribes to (see stations.sockets.live)."""
    config = {"subscribe": subscribe}
    if station is not None:
        config["station"] = station.pk
    return config
