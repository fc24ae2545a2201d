"""OCPI routes, under /ocpi/ (chargenet/urls.py).

Every endpoint answers with or without a trailing slash (parties differ in how they
join URLs), and any other path under /ocpi/ answers an OCPI envelope 404, not HTML.
"""

from django.urls import URLPattern, path, re_path

from ocpi.views import (
    commands,
    credentials,
    locations,
    public,
    sessions,
    tariffs,
    tokens,
    versions,
)
from ocpi.views.base import unknown_endpoint

app_name = "ocpi"


def both(route: str, view, name: str | None = None) -> list[URLPattern]:
    """`route` as written (named, for reverse()) and its twin with or without a slash."""
    twin = route[:-1] if route.endswith("/") else route + "/"
    return [path(route, view, name=name), path(twin, view)]


urlpatterns = [
    *both("public/locations", public.PublicLocationsView.as_view(), "public-locations"),
    *both("public/tariffs", public.PublicTariffsView.as_view(), "public-tariffs"),
    *both("versions", versions.VersionsView.as_view(), "versions"),
    *both("2.2.1/", versions.VersionDetailsView.as_view(), "version-details"),
    *both("2.2.1/credentials", credentials.CredentialsView.as_view(), "credentials"),
    *both(
        "2.2.1/tokens/<str:country_code>/<str:party_id>/<str:uid>",
        tokens.TokenView.as_view(),
        "tokens",
    ),
    *both("2.2.1/sessions", sessions.SessionListView.as_view()),
    *both("2.2.1/cdrs", sessions.CdrListView.as_view()),
    *both("2.2.1/tariffs", tariffs.TariffListView.as_view()),
    *both("2.2.1/commands/<str:command>", commands.CommandView.as_view()),
    *both("2.2.1/locations", locations.LocationListView.as_view(), "locations"),
    *both("2.2.1/locations/<str:location_id>", locations.LocationView.as_view()),
    *both("2.2.1/locations/<str:location_id>/<str:evse_uid>", locations.EvseView.as_view()),
    *both(
        "2.2.1/locations/<str:location_id>/<str:evse_uid>/<str:connector>",
        locations.ConnectorView.as_view(),
    ),
    re_path(r"^.*$", unknown_endpoint),
]
