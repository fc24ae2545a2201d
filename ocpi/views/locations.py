"""`/ocpi/2.2.1/locations` as SENDER: the published sites, their EVSEs and connectors.

The list is filtered on `last_updated` (`date_from` inclusive, `date_to` exclusive)
and paginated; one Location, EVSE or Connector is read by its ids (2003 if unknown).
"""

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import common, locations
from ocpi.views.base import OcpiView, date_range, paginate


def _in_range(obj: dict, start, end) -> bool:
    moment = locations._parse(obj["last_updated"])
    return (start is None or moment >= start) and (end is None or moment < end)


class LocationListView(OcpiView):
    def get(self, request: Request) -> Response:
        start, end = date_range(request)
        items = [
            location
            for publication in locations.publications(published_only=True)
            if _in_range(location := locations.location_object(publication), start, end)
        ]
        return paginate(request, items, lambda item: item)


def _location(location_id: str):
    publication = (
        locations.publications(published_only=True).filter(location_id=location_id).first()
    )
    if publication is None:
        raise common.unknown("location", common.UNKNOWN_LOCATION)
    return locations.location_object(publication)


def _evse(location: dict, evse_uid: str) -> dict:
    for evse in location["evses"]:
        if evse["uid"] == evse_uid:
            return evse
    raise common.unknown("EVSE", common.UNKNOWN_LOCATION)


class LocationView(OcpiView):
    def get(self, request: Request, location_id: str) -> Response:
        return common.ok(_location(location_id))


class EvseView(OcpiView):
    def get(self, request: Request, location_id: str, evse_uid: str) -> Response:
        return common.ok(_evse(_location(location_id), evse_uid))


class ConnectorView(OcpiView):
    def get(self, request: Request, location_id: str, evse_uid: str, connector: str) -> Response:
        for item in _evse(_location(location_id), evse_uid)["connectors"]:
            if item["id"] == connector:
                return common.ok(item)
        raise common.unknown("connector", common.UNKNOWN_LOCATION)
