"""ASGI entry point: HTTP goes to Django, WebSockets to the OCPP and live consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargenet.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chargenet.health import with_health_check  # noqa: E402
from stations.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": with_health_check(django_asgi_app),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
