"""The drivers' live socket, /ws/me/: tells a driver's page that one of their sessions moved.

It joins the event groups of the stations where the driver charges now or has just
asked for a remote start, and forwards only events of the driver's own sessions (the
page then re-reads /me/live.json): another driver's figures never reach it. The reads
are functions of `drivers.selectors`, run on a thread off the event loop.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from drivers.selectors import driver_live_station_pks, driver_owns_session
from stations import events

# The selectors query the database: they run on a thread, off the event loop.
_live_station_pks = database_sync_to_async(driver_live_station_pks)
_owns_session = database_sync_to_async(driver_owns_session)


class DriverLiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_active):
            await self.close()
            return
        self.user_pk = user.pk
        self.mine: set[int] = set()
        await self.accept()
        stations = await _live_station_pks(self.user_pk)
        self.groups_joined = tuple(events.station_group(pk) for pk in stations)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed"})

    async def disconnect(self, code) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        pass  # the socket only listens

    async def live_events(self, batch) -> None:
        """A batch from a server's outbox (stations/events.py)."""
        for event in batch["events"]:
            await self.live_event(event)

    async def live_event(self, event) -> None:
        session = event.get("data", {}).get("session")
        if not event["kind"].startswith("session.") or not isinstance(session, int):
            return
        if session in self.mine or await _owns_session(self.user_pk, session):
            self.mine.add(session)
            await self.send_json({"type": "event", "kind": event["kind"], "session": session})
