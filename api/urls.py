"""/api/v1/: the versioned REST API.

Resources register on one router; a field once published in v1 keeps its name.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from api.audit import AuditEntryViewSet
from api.root import ApiRoot
from billing.api_urls import router as billing_router
from drivers import api as driver_api
from reliability.api import SiteUptimeView, StationUptimeView
from stations.api.views import ANY_SEGMENT, IdTokenViewSet, SessionViewSet, StationViewSet
from stations.commands.api import (
    ChargingProfileViewSet,
    CommandViewSet,
    ReservationViewSet,
    StationCommandView,
)
from webhooks.api import WebhookSubscriptionViewSet

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

# What GET /api/v1/ lists: every resource, then the driver's own.
RESOURCES = {
    prefix: f"{basename}-list"
    for prefix, _, basename in [*router.registry, *billing_router.registry]
} | {"me/sessions": "me-sessions", "me/cards": "me-cards", "me/balance": "me-balance"}

urlpatterns = [
    path("", ApiRoot.as_view(resources=RESOURCES), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(
        rf"^stations/(?P<station_id>{ANY_SEGMENT})/commands/$",
        StationCommandView.as_view(),
        name="station-commands",
    ),
    re_path(
        rf"^stations/(?P<station_id>{ANY_SEGMENT})/uptime/$",
        StationUptimeView.as_view(),
        name="station-uptime",
    ),
    path("uptime/", SiteUptimeView.as_view(), name="uptime"),
    # The driver's own data, for a driver's token (other drivers' ids answer 404).
    path("me/sessions/", driver_api.MySessionList.as_view(), name="me-sessions"),
    path("me/sessions/<int:pk>/", driver_api.MySessionDetail.as_view(), name="me-session"),
    path("me/sessions/<int:pk>/live/", driver_api.MySessionLive.as_view(), name="me-session-live"),
    path("me/sessions/<int:pk>/stop/", driver_api.MySessionStop.as_view(), name="me-session-stop"),
    path("me/start/", driver_api.MyStart.as_view(), name="me-start"),
    path("me/cards/", driver_api.MyCards.as_view(), name="me-cards"),
    path("me/cards/<int:pk>/block/", driver_api.MyCardBlock.as_view(), name="me-card-block"),
    path("me/balance/", driver_api.MyBalance.as_view(), name="me-balance"),
    path("", include(router.urls)),
    path("", include(billing_router.urls)),
]
