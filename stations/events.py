"""Domain events, published on the channel layer after the transaction commits.

The live dashboard consumer forwards them to browsers. Publishing is best effort: a
channel layer that is down must never fail the OCPP message that caused the event.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from chargenet.webhooks import dispatch as webhooks

logger = logging.getLogger(__name__)

NETWORK_GROUP = "live.network"


def station_group(station_pk: int) -> str:
    return f"live.station.{station_pk}"


def publish(kind: str, station_pk: int, data: dict) -> None:
    """Queue an event for after the current transaction commits."""
    message = {"type": "live.event", "kind": kind, "station": station_pk, "data": data}
    transaction.on_commit(lambda: _send(message, station_pk))
    webhooks.emit(kind, data, station_pk=station_pk)  # webhook deliveries (issue 9)


_loop = None  # the server's event loop, once a socket has bound it


def bind_loop(loop) -> None:
    """Let database threads hand events to the server's loop without waiting on it."""
    global _loop
    _loop = loop


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
    loop = _loop
    if loop is not None and loop.is_running() and not _in_loop(loop):
        # A database thread of the server: a busy thread pool must not wait on Redis.
        loop.call_soon_threadsafe(lambda: loop.create_task(_group_send(layer, message, station_pk)))
        return
    async_to_sync(_group_send)(layer, message, station_pk)


def _in_loop(loop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
