"""OCPI routes, under /ocpi/ (chargenet/urls.py)."""

from django.urls import path

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

app_name = "ocpi"

urlpatterns = [
    path("public/locations", public.PublicLocationsView.as_view(), name="public-locations"),
    path("public/tariffs", public.PublicTariffsView.as_view(), name="public-tariffs"),
    path("versions", versions.VersionsView.as_view(), name="versions"),
    path("2.2.1/", versions.VersionDetailsView.as_view(), name="version-details"),
    path("2.2.1/credentials", credentials.CredentialsView.as_view(), name="credentials"),
    path(
        "2.2.1/tokens/<str:country_code>/<str:party_id>/<str:uid>",
        tokens.TokenView.as_view(),
        name="tokens",
    ),
    path("2.2.1/sessions", sessions.SessionListView.as_view()),
    path("2.2.1/cdrs", sessions.CdrListView.as_view()),
    path("2.2.1/tariffs", tariffs.TariffListView.as_view()),
    path("2.2.1/commands/<str:command>", commands.CommandView.as_view()),
    path("2.2.1/locations", locations.LocationListView.as_view(), name="locations"),
    path("2.2.1/locations/<str:location_id>", locations.LocationView.as_view()),
    path("2.2.1/locations/<str:location_id>/<str:evse_uid>", locations.EvseView.as_view()),
    path(
        "2.2.1/locations/<str:location_id>/<str:evse_uid>/<str:connector>",
        locations.ConnectorView.as_view(),
    ),
]
