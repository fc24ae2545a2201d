"""The OCPP frame log, written in batches so logging never costs a query per frame."""

import asyncio
import hashlib
import logging

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from stations.models import OcppMessage
from stations.ocpp.framing import UNSTORABLE, storable
from stations.writers.bulk import rows_write_each

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
COLUMNS = (
    "station_id",
    "direction",
    "message_type",
    "action",
    "unique_id",
    "error_code",
    "payload",
    "created_at",
)


class MessageLog:
    """Buffers frames per process and writes each flush in one transaction."""

    def __init__(self) -> None:
        self._buffer: list[tuple] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def add(
        self,
        *,
        station_id: int | None,
        direction: str,
        message_type: int | None,
        action: str,
        unique_id: str,
        error_code: str,
        payload: str,
    ) -> None:
        # Fewer characters than a quarter of the limit always fit: the usual frame is
        # looked at no further.
        if len(payload) > settings.OCPP_LOG_MAX_PAYLOAD // 4:
            payload = bounded(payload, settings.OCPP_LOG_MAX_PAYLOAD)
        row = (station_id, direction, message_type, action, unique_id, error_code, payload)
        # PostgreSQL stores neither NUL nor lone surrogates. A frame's text may hold a raw
        # NUL; the values read from it (id, action, error code) may hold either, escaped.
        # Short, so looked through on every row; anything else is caught by the write.
        if "\x00" in payload or UNSTORABLE.search(f"{action}{unique_id}{error_code}"):
            row = storable_row(row)
        self._buffer.append((*row, timezone.now()))
        loop = asyncio.get_running_loop()
        if len(self._buffer) >= BATCH_SIZE:
            loop.create_task(self.flush())
        elif self._timer is None or self._timer_loop is not loop:
            self._timer_loop = loop
            self._timer = loop.call_later(
                settings.OCPP_LOG_FLUSH_INTERVAL, lambda: loop.create_task(self.flush())
            )

    def pending(self) -> int:
        """Frames waiting in the buffer for the next write (a metric's log-buffer depth)."""
        return len(self._buffer)

    async def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        try:
            await _insert(batch)
        except Exception:  # noqa: BLE001 - a log write must never break the protocol
            logger.exception("Could not write %d OCPP frames to the message log", len(batch))


def _insert_rows(rows: list[tuple]) -> None:
    lost = rows_write_each(OcppMessage, COLUMNS, rows, storable_row)
    if lost:
        logger.error("Could not write %d OCPP frames to the message log", lost)


_insert = database_sync_to_async(_insert_rows, thread_sensitive=False)


def bounded(payload: str, limit: int) -> str:
    """`payload` if it has at most `limit` UTF-8 bytes; else its first `limit` bytes and
    a marker with its full size and SHA-256, so a flood of large frames cannot fill the
    log and a frame can still be told apart from another."""
    if payload.isascii():
        if len(payload) <= limit:
            return payload
        data = payload.encode("ascii")
    else:
        data = payload.encode("utf-8", "surrogatepass")
        if len(data) <= limit:
            return payload
    head = data[:limit].decode("utf-8", "ignore")  # a character cut in two is left out
    return f"{head}…[truncated: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}]"


def storable_row(row: tuple) -> tuple:
    """`row` with what PostgreSQL cannot store in text (NUL, lone surrogates) replaced."""
    return tuple(storable(value) if isinstance(value, str) else value for value in row)


message_log = MessageLog()
