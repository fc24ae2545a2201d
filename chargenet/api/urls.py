"""/api/v1/: the versioned REST API.

Resources register on one router; a field once published in v1 keeps its name.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from stations.api import IdTokenViewSet, SessionViewSet, StationViewSet

# SimpleRouter: no format-suffix routes, which would misread a station id with a dot.
router = SimpleRouter()
router.register("stations", StationViewSet, basename="station")
router.register("sessions", SessionViewSet, basename="session")
router.register("id-tokens", IdTokenViewSet, basename="id-token")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
