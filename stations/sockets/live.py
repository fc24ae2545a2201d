"""The live dashboard socket, /ws/live/: forwards domain events to operators' pages.

A page says what it shows (`{"subscribe": "network"}` or `{"subscribe": "station",
"station": <pk>}`); the consumer joins that group of `stations.events` and sends each
`live.event` on as `{"type": "event", "kind", "station", "data"}`. It answers a
subscription with `{"type": "subscribed", ...}`: the page then re-reads its state, so
nothing published while it was (re)connecting is lost. The one read, whether a station
exists, is `stations.selectors.station_exists`, run off the event loop.
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from stations import events
from stations.selectors import station_exists
from stations.views.access import is_operator

# The selector queries the database: it runs on a thread, off the event loop.
_station_exists = database_sync_to_async(station_exists)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    subscribed: tuple[str, ...] = ()

    async def connect(self) -> None:
        if not is_operator(self.scope.get("user")):
            await self.close()  # before accept: the handshake is refused with 403
            return
        await self.accept()

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict):
            await self._error("expected a JSON object")
            return
        what = content.get("subscribe")
        if what == "network":
            await self._subscribe((events.NETWORK_GROUP,))
            await self.send_json({"type": "subscribed", "subscribe": "network"})
        elif what == "station":
            station = await self._station_pk(content.get("station"))
            if station is None:
                await self._error("unknown station")
                return
            await self._subscribe((events.station_group(station),))
            await self.send_json({"type": "subscribed", "subscribe": "station", "station": station})
        else:
            await self._error("subscribe to 'network' or 'station'")

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None  # answered as an error, not a crash

    async def live_events(self, batch) -> None:
        """A batch from a server's outbox (stations/events.py)."""
        for event in batch["events"]:
            await self.live_event(event)

    async def live_event(self, event) -> None:
        await self.send_json(
            {
                "type": "event",
                "kind": event["kind"],
                "station": event["station"],
                "data": event["data"],
            }
        )

    async def disconnect(self, code) -> None:
        await self._subscribe(())

    async def _subscribe(self, groups: tuple[str, ...]) -> None:
        """Leave the groups of the previous subscription, join the new ones."""
        for group in set(self.subscribed) - set(groups):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(groups) - set(self.subscribed):
            await self.channel_layer.group_add(group, self.channel_name)
        self.subscribed = groups

    async def _error(self, message: str) -> None:
        await self.send_json({"type": "error", "error": message})

    async def _station_pk(self, value) -> int | None:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return None
        return pk if await _station_exists(pk) else None
