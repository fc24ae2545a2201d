"""/api/v1/: the versioned REST API.

Resources register on one router; a field once published in v1 keeps its name.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from chargenet.api.audit import AuditEntryViewSet
from chargenet.webhooks.api import WebhookSubscriptionViewSet
from stations.api import ANY_SEGMENT, IdTokenViewSet, SessionViewSet, StationViewSet
from stations.command_api import (
    ChargingProfileViewSet,
    CommandViewSet,
    ReservationViewSet,
    StationCommandView,
)

# SimpleRouter: no format-suffix routes, which would misread a station id with a dot.
router = SimpleRouter()
router.register("stations", StationViewSet, basename="station")
router.register("sessions", SessionViewSet, basename="session")
router.register("id-tokens", IdTokenViewSet, basename="id-token")
router.register("commands", CommandViewSet, basename="command")
router.register("reservations", ReservationViewSet, basename="reservation")
router.register("charging-profiles", ChargingProfileViewSet, basename="charging-profile")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("audit-log", AuditEntryViewSet, basename="audit-entry")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(
        rf"^stations/(?P<station_id>{ANY_SEGMENT})/commands/$",
        StationCommandView.as_view(),
        name="station-commands",
    ),
    path("", include(router.urls)),
    path("", include("billing.api_urls")),
]
