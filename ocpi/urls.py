"""OCPI routes, under /ocpi/ (chargenet/urls.py)."""

from django.urls import path

from ocpi.views import credentials, versions

app_name = "ocpi"

urlpatterns = [
    path("versions", versions.VersionsView.as_view(), name="versions"),
    path("2.2.1/", versions.VersionDetailsView.as_view(), name="version-details"),
    path("2.2.1/credentials", credentials.CredentialsView.as_view(), name="credentials"),
]
