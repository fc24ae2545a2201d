"""Domain events: what happened to stations and sessions, for whoever subscribed.

`publish` sends an event to the live pages (on the channel layer, after the
transaction commits) and hands it to the subscribers of its kind. The station core
never imports the apps that react to its events: billing and webhooks `subscribe` in
their `AppConfig.ready()`, so dependencies point one way (they import stations).

A subscriber is `handler(kind, station_pk, data)` and runs either

- after the publishing transaction commits (the default): work that must only follow
  a committed change and must never undo it, such as queueing a session's pricing or
  a webhook delivery; or
- `in_transaction`, at once, inside the publisher's transaction: writes that belong
  to the change itself and commit or roll back with it, such as the connector status
  history billing keeps for idle fees. Its failure fails the publisher.

  Such a subscriber may also offer its write as statements (`joined`), for a
  publisher that writes in one round trip instead of a transaction (a burst of new
  stations' first status reports, a handshake's connect): the publisher asks for the
  statements (`joined`), sends them with its own (`send_joined`: one transaction, one
  round trip on PostgreSQL), then publishes with what each did, and the subscriber's
  `then` takes it from there. The statements must do no harm if the publisher's own
  write then changes nothing.

Kinds published but not sent to the live pages (`live=False`): CONNECTOR_STATUS_RECORDED,
TEMPERATURE_RECORDED, STATION_EVENT_RECORDED,
`command.finished`, `invoice.issued`.

Sending to the live pages is best effort: a channel layer that is down must never fail
the OCPP message that caused the event.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from runtime import channel_layer, sql

logger = logging.getLogger(__name__)

NETWORK_GROUP = "live.network"

#: A connector's status (connector 0: the station's) was stored: data holds `connector`,
#: `status`, `at` (when that status began: the station's own timestamp, or the arrival
#: time where it sent none or an implausible one), `station_clock` (whether `at` is the
#: station's), `received_at` (arrival), `inferred` (ChargeNet assumed the status, the
#: station did not report it), `error_code` and `first_report` (the connector's first
#: status ever: it has no history yet, most likely). A replayed, older report may
#: come after newer ones. Not live: for subscribers that keep a status history, in the
#: transaction that stored the status.
CONNECTOR_STATUS_RECORDED = "connector.status_recorded"
#: A MeterValues frame held a Temperature: data holds `connector` and `celsius` (the
#: highest reading, a decimal string). Not live.
TEMPERATURE_RECORDED = "station.temperature_recorded"
#: A station notification was kept (stations.services.status.station_event_record):
#: data holds `kind` (NotifyEvent, SecurityEventNotification, ...), `status`, `data`.
#: Not live.
STATION_EVENT_RECORDED = "station.event_recorded"

Handler = Callable[[str, "int | None", dict], None]
_after_commit: dict[str, list[Handler]] = {}
_in_transaction: dict[str, list[Handler]] = {}


class Joined(NamedTuple):
    """An in-transaction subscriber's write as statements sent with the publisher's,
    and what it does afterwards with what they did (`sql.Done`s, in order)."""

    statements: list[tuple[str, list]]
    then: Callable[[list[sql.Done]], None]


JoinedHandler = Callable[[str, "int | None", dict], "Joined | None"]
_joined: dict[Handler, JoinedHandler] = {}


def station_group(station_pk: int) -> str:
    return f"live.station.{station_pk}"


def subscribe(
    kind: str,
    handler: Handler,
    *,
    in_transaction: bool = False,
    joined: JoinedHandler | None = None,
) -> None:
    """Call `handler(kind, station_pk, data)` for every event of `kind` (see above);
    `joined(kind, station_pk, data)`: an in-transaction handler's write as statements
    (a `Joined`), or None where it has none for that event."""
    handlers = (_in_transaction if in_transaction else _after_commit).setdefault(kind, [])
    if handler not in handlers:
        handlers.append(handler)
    if joined is not None:
        _joined[handler] = joined


def joined(kind: str, station_pk: int | None, data: dict) -> list[Joined] | None:
    """The in-transaction subscribers' statements for an event, to send with the
    publisher's own; None if one of them has none: then the publisher writes in a
    transaction, the usual way."""
    parts = []
    for handler in _in_transaction.get(kind, ()):
        part = _joined[handler](kind, station_pk, data) if handler in _joined else None
        if part is None:
            return None
        parts.append(part)
    return parts


def send_joined(statements: list, parts: list[Joined]) -> tuple[list, list]:
    """Send the publisher's `statements` with its subscribers' (`joined`) in one round
    trip, as one transaction (`sql.together`): what the publisher's did, and each part
    with what its own did, for `publish(..., joined=...)`."""
    done = sql.together([*statements, *(s for part in parts for s in part.statements)])
    mine, rest = done[: len(statements)], done[len(statements) :]
    theirs = []
    for part in parts:
        theirs.append((part, rest[: len(part.statements)]))
        rest = rest[len(part.statements) :]
    return mine, theirs


def publish(
    kind: str,
    station_pk: int | None,
    data: dict,
    *,
    live: bool = True,
    joined: list[tuple[Joined, list]] | None = None,
) -> None:
    """Hand an event to its subscribers; send it to the live pages once committed.

    `joined`: the publisher sent the in-transaction subscribers' statements with its
    write (`send_joined`); what each part's did goes to its `then`."""
    if joined is not None:
        for part, done in joined:
            part.then(done)
    else:
        for handler in _in_transaction.get(kind, ()):
            handler(kind, station_pk, data)
    if live:
        message = {"type": "live.event", "kind": kind, "station": station_pk, "data": data}
        transaction.on_commit(lambda: _send(message, station_pk))
    for handler in _after_commit.get(kind, ()):
        transaction.on_commit(partial(handler, kind, station_pk, data))


def session_data(session) -> dict:
    """What a `session.*` event says about a session."""
    return {
        "session": session.pk,
        "connector": session.connector.connector_id if session.connector_id else None,
        "transaction_id": session.transaction_id,
        "state": session.state,
        "energy_wh": session.energy_wh,
        "power_w": session.power_w,
    }


_loop = None  # the server's event loop, once a socket has bound it
_outbox = None

FLUSH_INTERVAL = 0.1  # seconds events wait to share one message per group
OUTBOX_LIMIT = 20_000  # events held while the channel layer is slow; the oldest go first


def bind_loop(loop) -> None:
    """Let database threads hand events to the server's loop without waiting on it."""
    global _loop, _outbox
    if _loop is not loop:
        _loop, _outbox = loop, Outbox(loop)


class Outbox:
    """The server's events, sent every FLUSH_INTERVAL as one message per group.

    A busy server publishes hundreds of events a second; a group_send each (two per
    event: the network and the station) would cost more than handling the OCPP
    frames that caused them. Batching, and keeping only the newest `session.updated`
    of a session, sends one `live.events` message per group and flush, one flush at
    a time, so a slow Redis delays the live pages instead of piling up sends.
    """

    def __init__(self, loop) -> None:
        self.loop = loop
        self.pending: dict = {}  # key -> message, in the order first seen
        self.scheduled = False
        self.dropped = 0
        self.arrived: deque = deque()  # from database threads, not yet taken by the loop
        self.waking = False

    def add_threadsafe(self, message: dict) -> None:
        """From a database thread: one wake-up of the loop takes all that arrived
        before it ran (a burst's boot publishes four events a station)."""
        self.arrived.append(message)
        if not self.waking:
            self.waking = True
            self.loop.call_soon_threadsafe(self._take_arrived)

    def _take_arrived(self) -> None:
        self.waking = False  # first: what arrives from now on wakes the loop again
        while self.arrived:
            self.add(self.arrived.popleft())

    def add(self, message: dict) -> None:
        """From the loop's thread only."""
        key = _coalescing_key(message) or object()
        self.pending.pop(key, None)  # the newest one goes last
        self.pending[key] = message
        if len(self.pending) > OUTBOX_LIMIT:
            self.pending.pop(next(iter(self.pending)))
            self.dropped += 1
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_later(FLUSH_INTERVAL, lambda: self.loop.create_task(self.flush()))

    async def flush(self) -> None:
        layer = get_channel_layer()
        try:
            while self.pending:
                batch = list(self.pending.values())
                self.pending.clear()
                await _send_batch(layer, batch)
        finally:
            self.scheduled = False
            if self.dropped:
                logger.warning("Dropped %d live events: the channel layer is slow", self.dropped)
                self.dropped = 0


def _coalescing_key(message: dict):
    if message["kind"] == "session.updated" and "session" in message["data"]:
        return ("session.updated", message["data"]["session"])
    return None


async def _send_batch(layer, batch: list[dict]) -> None:
    by_station: dict[int, list[dict]] = {}
    for message in batch:
        by_station.setdefault(message["station"], []).append(message)
    messages = {NETWORK_GROUP: {"type": "live.events", "events": batch}}
    for station_pk, theirs in by_station.items():
        messages[station_group(station_pk)] = {"type": "live.events", "events": theirs}
    try:
        await channel_layer.group_send_many(layer, messages)
    except Exception as error:  # noqa: BLE001 - see module docstring
        logger.warning("Could not publish %d live events: %r", len(batch), error)


async def _group_send(layer, message: dict, station_pk: int) -> None:
    try:
        await layer.group_send(NETWORK_GROUP, message)
        await layer.group_send(station_group(station_pk), message)
    except Exception:  # noqa: BLE001 - see module docstring
        logger.warning("Could not publish %s event", message["kind"], exc_info=True)


def _send(message: dict, station_pk: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop, outbox = _loop, _outbox
    if loop is not None and loop.is_running():
        if _in_loop(loop):
            outbox.add(message)
        else:
            # A database thread of the server: a busy thread pool must not wait on Redis.
            outbox.add_threadsafe(message)
        return
    # No server loop in this process (a worker, a command), or the server's has stopped
    # and its database threads are finishing: a loop of this call's own, since one
    # handed to a stopped loop would wait for ever and hold the process at exit.
    async_to_sync(_group_send, force_new_loop=True)(layer, message, station_pk)


def _in_loop(loop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
