"""The open data AFIR Art. 20 asks for: `/ocpi/public/locations` (published sites with
live availability, as OCPI 2.2.1 Locations whose connectors name their ad-hoc tariff)
and `/ocpi/public/tariffs` (those tariffs, the ad-hoc price), free and without a token.

Read-only, paginated like every OCPI list, and cached for OCPI_PUBLIC_CACHE_SECONDS
(30 s): availability is at most that old, and a crowd of readers costs one build.
Only sites an operator published (SitePublication.published) appear.
"""

from django.conf import settings
from django.core.cache import cache
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import locations, tariffs
from ocpi.views.base import OcpiView, paginate


def _seconds() -> int:
    return int(getattr(settings, "OCPI_PUBLIC_CACHE_SECONDS", 30))


def published_locations() -> list[dict]:
    key = "ocpi:public:locations"
    items = cache.get(key)
    if items is None:
        items = [
            locations.location_object(publication)
            for publication in locations.publications(published_only=True)
        ]
        cache.set(key, items, _seconds())
    return items


def published_tariffs() -> list[dict]:
    key = "ocpi:public:tariffs"
    items = cache.get(key)
    if items is None:
        wanted = {
            tariff_id
            for location in published_locations()
            for evse in location["evses"]
            for connector in evse["connectors"]
            for tariff_id in connector.get("tariff_ids", [])
        }
        items = [
            body
            for tariff in tariffs.all_tariffs()
            if (body := tariffs.tariff_object(tariff))["id"] in wanted
        ]
        for body in items:
            body["type"] = "AD_HOC_PAYMENT"
        cache.set(key, items, _seconds())
    return items


class _Public(OcpiView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = f"public, max-age={_seconds()}"
        response["Access-Control-Allow-Origin"] = "*"
        return response


class PublicLocationsView(_Public):
    def get(self, request: Request) -> Response:
        return paginate(request, published_locations(), lambda item: item)


class PublicTariffsView(_Public):
    def get(self, request: Request) -> Response:
        return paginate(request, published_tariffs(), lambda item: item)
