from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import re_path

from stations.consumers import OcppConsumer
from stations.live import LiveConsumer

websocket_urlpatterns = [
    # Operators' browsers: the session cookie says who; a page of another origin may not.
    re_path(
        r"^ws/live/$",
        AllowedHostsOriginValidator(AuthMiddlewareStack(LiveConsumer.as_asgi())),
    ),
    re_path(r"^ocpp(?:/.*)?$", OcppConsumer.as_asgi()),
]
