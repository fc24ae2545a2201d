"""WebSocket requests to a path nothing serves: refused with HTTP 404 before the upgrade.

Channels' router raises for an unknown path, which daphne answers with 500; a client
that mistyped `/ocpp/` deserves a 404 it can read.
"""

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer

DENIAL_EXTENSION = "websocket.http.response"


class NoRouteConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        if DENIAL_EXTENSION in self.scope.get("extensions", {}):
            await self.base_send(
                {
                    "type": "websocket.http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await self.base_send(
                {"type": "websocket.http.response.body", "body": b"No WebSocket here."}
            )
        else:
            await self.close()
        raise StopConsumer()
