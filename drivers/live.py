"""The drivers' live socket, /ws/me/: tells a driver's page that one of their sessions moved.

It joins the event groups of the stations where the driver charges now or has just
asked for a remote start, and forwards only events of the driver's own sessions (the
page then re-reads /me/live.json): another driver's figures never reach it.
"""

from datetime import timedelta

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

from stations import events
from stations.models import ChargingSession, Command

RECENT_START = timedelta(minutes=5)


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
        self.groups_joined = tuple(events.station_group(pk) for pk in await self._stations())
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
        if session in self.mine or await self._is_mine(session):
            self.mine.add(session)
            await self.send_json({"type": "event", "kind": event["kind"], "session": session})

    @database_sync_to_async
    def _stations(self) -> set[int]:
        active = ChargingSession.objects.filter(
            id_token__owner_id=self.user_pk, state=ChargingSession.State.ACTIVE
        ).values_list("station_id", flat=True)
        started = Command.objects.filter(
            requested_by_id=self.user_pk,
            action="remote_start",
            created_at__gte=timezone.now() - RECENT_START,
        ).values_list("station_id", flat=True)
        return set(active) | set(started)

    @database_sync_to_async
    def _is_mine(self, session_pk: int) -> bool:
        return ChargingSession.objects.filter(
            pk=session_pk, id_token__owner_id=self.user_pk
        ).exists()
