"""ASGI entry point: HTTP goes to Django (but the balancer's /healthz and Prometheus's
/metrics), WebSockets to the OCPP and live consumers."""

import os
import sys

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargenet.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chargenet.routing import websocket_urlpatterns  # noqa: E402
from runtime.health import with_health_check  # noqa: E402
from runtime.metrics import with_metrics  # noqa: E402
from stations.ocpp import SUBPROTOCOLS, adapter_class  # noqa: E402

# The adapters (and the ocpp library) load now: on the first stations' handshakes they
# took a tenth of a second of the event loop, in the middle of a burst.
for subprotocol in SUBPROTOCOLS:
    adapter_class(subprotocol)

if "daphne.cli" in sys.modules:
    # Plain `daphne chargenet.asgi:application`: daphne's server, taught ChargeNet's
    # handshake answers (503 with Retry-After in a storm, never 403; runtime/server.py).
    from runtime.server import adopt_daphne  # noqa: E402

    adopt_daphne()


def close_request_connections(sender, **kwargs) -> None:
    """Close the database connections an HTTP request opened.

    Django serves every ASGI request on a thread of its own, so a connection kept for
    reuse (`CONN_MAX_AGE`) is never reused: left open, it waits for the garbage
    collector, and enough of them exhaust PostgreSQL's `max_connections`.
    """
    if isinstance(sender, type) and issubclass(sender, ASGIHandler):
        connections.close_all()


request_finished.connect(close_request_connections, dispatch_uid="close_request_connections")

application = ProtocolTypeRouter(
    {
        "http": with_health_check(with_metrics(django_asgi_app)),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
