"""Domain events, published on the channel layer after the transaction commits.

The live dashboard consumer forwards them to browsers. Publishing is best effort: a
channel layer that is down must never fail the OCPP message that caused the event.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

NETWORK_GROUP = "live.network"


def station_group(station_pk: int) -> str:
    return f"live.station.{station_pk}"


def publish(kind: str, station_pk: int, data: dict) -> None:
    """Queue an event for after the current transaction commits."""
    message = {"type": "live.event", "kind": kind, "station": station_pk, "data": data}
    transaction.on_commit(lambda: _send(message, station_pk))


def _send(message: dict, station_pk: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        send = async_to_sync(layer.group_send)
        send(NETWORK_GROUP, message)
        send(station_group(station_pk), message)
    except Exception:  # noqa: BLE001 - see module docstring
        logger.warning("Could not publish %s event", message["kind"], exc_info=True)
