from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import re_path

from drivers.live import DriverLiveConsumer
from runtime.no_route import NoRouteConsumer
from stations.sockets.live import LiveConsumer
from stations.sockets.station import OcppConsumer

websocket_urlpatterns = [
    # Operators' browsers: the session cookie says who; a page of another origin may not.
    re_path(
        r"^ws/live/$",
        AllowedHostsOriginValidator(AuthMiddlewareStack(LiveConsumer.as_asgi())),
    ),
    # Drivers' /me/ page: only events of the signed-in driver's own sessions.
    re_path(
        r"^ws/me/$",
        AllowedHostsOriginValidator(AuthMiddlewareStack(DriverLiveConsumer.as_asgi())),
    ),
    re_path(r"^ocpp(?:/.*)?$", OcppConsumer.as_asgi()),
    # Anything else: 404 (Channels' router would raise, and daphne answer 500).
    re_path(r"", NoRouteConsumer.as_asgi()),
]
