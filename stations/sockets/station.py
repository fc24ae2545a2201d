"""The OCPP station socket: a thin Channels consumer around a version's adapter.

It admits the station (stations/services/handshake.py), hands every frame to the
adapter and runs commands as tasks of their own. It reaches the database only through
service functions, on the database thread pool.
"""

import asyncio
import collections
import contextlib
import functools
import logging

from channels.consumer import get_handler_name
from channels.exceptions import ChannelFull, StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings

from runtime import outages
from runtime.channel_layer import UNREACHABLE
from runtime.pool import on_database
from runtime.queues import INBOX
from stations import events
from stations.commands import service as command_service
from stations.ocpp import adapter_class
from stations.ocpp.base import StationInfo
from stations.ocpp.calls import DISCONNECTED, Outcome
from stations.services import connections, handshake
from stations.writers.message_log import message_log

logger = logging.getLogger(__name__)

DENIAL_EXTENSION = "websocket.http.response"
# Seconds a closing socket waits for its commands to store their outcomes.
COMMANDS_GRACE = 5
#: A server that is away during a handshake: PostgreSQL (Django's errors) or Redis.
OUTAGE = (*outages.OUTAGE_ERRORS, *UNREACHABLE)
POLICY_VIOLATION = 1008  # WebSocket close code for a station that stays over its limits


def on_pool(function):
    """`function` on the database threads (runtime/pool.py), not Channels' one shared
    thread: a reconnect storm's thousands of handshakes (each a password hash and a
    few queries) must not queue behind each other (see StationAdapter.run)."""
    return functools.partial(on_database, function)


class PoolOnlyDispatch:
    """Dispatch without Channels' per-message hop to its one shared sync thread, and
    with no task of its own per socket.

    Channels runs `close_old_connections` on that thread before every message a
    consumer handles. A consumer that reaches the database only through its database
    threads (runtime/pool.py, which closes stale connections on them) has nothing
    there to close, and the hop would line up every frame of every station
    behind one thread: a reconnect storm's handshakes waited on it for seconds.

    Channels also waits on the socket and on the channel layer with a task each, made
    again for every message, and channels_redis waits with two more: 3 KiB of every
    idle socket. Where the server hands over the socket's queue (runtime/queues.py
    INBOX) and the layer can deliver into it, the channel's messages join the frames
    in that one queue and the consumer reads it in its own task.
    """

    async def __call__(self, scope, receive, send) -> None:
        inbox = scope.get(INBOX)
        layer = get_channel_layer(self.channel_layer_alias)
        if inbox is None or not hasattr(layer, "deliver_into"):
            await super().__call__(scope, receive, send)
            return
        self.scope, self.channel_layer, self.base_send = scope, layer, send
        self.channel_name = await layer.new_channel()
        layer.deliver_into(self.channel_name, inbox)
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            layer.stop_delivering(self.channel_name)

    async def dispatch(self, message) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class ConsumerConnection:
    """The `connection` an adapter sends its frames to: this socket."""

    def __init__(self, consumer: AsyncWebsocketConsumer):
        self._consumer = consumer

    async def send(self, message: str) -> None:
        await self._consumer.send(text_data=message)


class OcppConsumer(PoolOnlyDispatch, AsyncWebsocketConsumer):
    adapter = None
    group = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Made with the first command: most sockets never get one.
        self.command_tasks: set[asyncio.Task] | None = None
        #: Ids of the latest commands this socket took, to run each only once.
        self.commands_taken: collections.deque[int] | None = None

    async def connect(self) -> None:
        events.bind_loop(asyncio.get_running_loop())
        address = (self.scope.get("client") or ("",))[0] or ""
        raw_path = self.scope.get("raw_path") or self.scope["path"].encode()
        station = handshake.station_key(raw_path)
        too_many = handshake.refused_addresses.refusal(address, station)
        if too_many is not None:
            await self._refuse(too_many)
        slots = handshake.HandshakeSlots.of_this_loop()
        wait = handshake.slot_wait(self.scope.get(handshake.CONNECT_TIMEOUT))
        if slots.crowded() or not await slots.take(wait):
            await self._refuse(slots.busy())
        try:
            await self._open(address, raw_path, station)
        except OUTAGE as error:
            # PostgreSQL or Redis unreachable: come back later (503, Retry-After).
            await self._unavailable(error)
        finally:
            slots.release()

    async def _unavailable(self, error: BaseException) -> None:
        outages.note_outage("OCPP handshake answered 503", error)
        if self.adapter is not None:
            with contextlib.suppress(*OUTAGE):
                await self.channel_layer.group_discard(self.group, self.channel_name)
            self.adapter = None
        await self._refuse(handshake.UNAVAILABLE)

    async def _open(self, address: str, raw_path: bytes, station_key: str) -> None:
        decision = await on_pool(handshake.admit)(
            raw_path=raw_path,
            headers=self.scope.get("headers", []),
            subprotocols=self.scope.get("subprotocols", []),
            client=str(self.scope.get("client")),
            # Behind a balancer `client` is the forwarded address; the server puts the
            # connection's own in PEER_ADDRESS (runtime/server.py).
            peer=self.scope.get(handshake.PEER_ADDRESS) or address,
        )
        if isinstance(decision, handshake.Refusal):
            handshake.refused_addresses.note_refused(address, station_key)
            await self._refuse(decision)
        station = StationInfo(decision.station_pk, decision.station_id, decision.registration)
        self.adapter = adapter_class(decision.subprotocol)(
            station, ConsumerConnection(self), response_timeout=settings.OCPP_COMMAND_TIMEOUT
        )
        self.group = f"station.{station.pk}"
        # A second socket for the same station replaces the first (OCPP-J: the newest
        # connection is the station's). Told directly, not through the group: one
        # Redis round trip, and none for a station that was not connected.
        if decision.previous_channel:
            with contextlib.suppress(ChannelFull):
                await self.channel_layer.send(
                    decision.previous_channel,
                    {"type": "station.replaced", "channel": self.channel_name},
                )
        await self.channel_layer.group_add(self.group, self.channel_name)
        # Marked connected before the upgrade: once the station has its socket, a
        # command sent to it must not be answered `offline`.
        await on_pool(connections.station_connect)(
            station_pk=station.pk,
            channel_name=self.channel_name,
            ocpp_version=self.adapter.version,
        )
        await self.accept(subprotocol=decision.subprotocol)

    async def _refuse(self, refusal: handshake.Refusal) -> None:
        if DENIAL_EXTENSION in self.scope.get("extensions", {}):
            body = refusal.reason.encode()
            await self.base_send(
                {
                    "type": "websocket.http.response.start",
                    "status": refusal.status,
                    "headers": [(b"content-type", b"text/plain"), *_refusal_headers(refusal)],
                }
            )
            await self.base_send({"type": "websocket.http.response.body", "body": body})
        else:
            await self.close()
        raise StopConsumer()

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.adapter.closing_reason:
            return  # closing: frames still queued are not read
        if text_data is None:
            text_data = bytes_data.decode("utf-8", errors="replace")
        await self.adapter.handle_frame(text_data)
        if self.adapter.closing_reason:  # the station stayed over its limits
            await self.close(code=POLICY_VIOLATION, reason=self.adapter.closing_reason)

    async def station_replaced(self, event) -> None:
        if event["channel"] != self.channel_name:
            logger.info(
                "Station %s reconnected; closing the old socket", self.adapter.station.station_id
            )
            await self.close(code=1000)

    async def station_command(self, event) -> None:
        """A command from any process: acknowledge at once, run it as its own task.

        Awaiting the station here would block this consumer, so the station's answer
        could never be read: a consumer handles one event at a time, and the answer is
        a frame like any other (stations/ocpp/calls.py).
        """
        await self.channel_layer.send(event["reply_to"], {"type": "command.ack"})
        if self.commands_taken is None:
            self.commands_taken, self.command_tasks = collections.deque(maxlen=100), set()
        if event["command"] in self.commands_taken:
            return  # sent again to this socket's channel after a group that was lost
        self.commands_taken.append(event["command"])
        task = asyncio.create_task(self._run_command(event))
        self.command_tasks.add(task)
        task.add_done_callback(self.command_tasks.discard)

    async def _run_command(self, event) -> None:
        try:
            outcome = await self.adapter.perform(event["action"], event["params"], event["timeout"])
        except asyncio.CancelledError:
            outcome = Outcome("offline", error=DISCONNECTED)
        except Exception:  # noqa: BLE001 - the outcome must be stored whatever happened
            logger.exception("Command %s failed", event["command"])
            outcome = Outcome("failed", error={"description": "Internal error."})
        await on_pool(command_service.command_finish)(
            command_id=event["command"],
            status=outcome.status,
            action=event["action"],
            response=outcome.response,
            error=outcome.error,
            ocpp_action=outcome.ocpp_action,
            station_pk=self.adapter.station.pk,
            configuration=outcome.configuration,
            records=outcome.records,
        )
        await self.channel_layer.send(
            event["reply_to"], {"type": "command.result", "status": outcome.status}
        )

    async def disconnect(self, code) -> None:
        if self.adapter is not None:
            # Commands still waiting end as offline; one whose answer came just before
            # the close stores that answer. Only a command that cannot finish is cut.
            self.adapter.connection_lost()
        if self.command_tasks:
            _, stuck = await asyncio.wait(list(self.command_tasks), timeout=COMMANDS_GRACE)
            for task in stuck:
                task.cancel()
        if self.adapter is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await on_pool(connections.station_disconnect)(
            station_pk=self.adapter.station.pk, channel_name=self.channel_name
        )
        await message_log.flush()


def _refusal_headers(refusal: handshake.Refusal) -> list[tuple[bytes, bytes]]:
    if refusal.status == 401:
        return [(b"www-authenticate", b'Basic realm="OCPP"')]
    if refusal.status == 503:
        seconds = refusal.retry_after or handshake.BUSY_RETRY_AFTER
        return [(b"retry-after", str(seconds).encode())]
    return []
