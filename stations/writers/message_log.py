"""The OCPP frame log, written in batches so logging never costs a query per frame.

While the database cannot be reached (OperationalError: PostgreSQL restarting, the
connection cut) frames wait in memory, at most OCPP_LOG_OUTAGE_BUFFER of them, and are
written, oldest first, once it answers again; a retry runs every OUTAGE_RETRY seconds
(growing up to OUTAGE_RETRY_MAX). When the wait outgrows the bound the oldest frames
are dropped; `dropped` counts them and the log says how many.
"""

import asyncio
import collections
import hashlib
import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from stations.models import OcppMessage
from stations.ocpp.framing import UNSTORABLE, storable
from stations.writers.bulk import rows_write_each

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
#: Frames written per statement when the held frames are written after an outage.
CATCH_UP_BATCH = 2000
OUTAGE_RETRY = 1.0  # seconds before the first new attempt after the database failed
OUTAGE_RETRY_MAX = 10.0
#: The database is away: no frame of the batch is at fault, all of it waits.
OUTAGE = (OperationalError, InterfaceError)
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
        #: Frames waiting for the database to come back, oldest first.
        self.held: collections.deque[tuple] = collections.deque()
        #: Frames dropped because the wait outgrew OCPP_LOG_OUTAGE_BUFFER (ever).
        self.dropped = 0
        self._retry: asyncio.TimerHandle | None = None
        self._retry_pause = OUTAGE_RETRY
        self._outage_since: float | None = None
        self._outage_dropped = 0

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

    async def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        if self._outage_since is not None:
            self._hold(batch)  # behind the frames already waiting; the retry writes them
            return
        try:
            await _insert(batch)
        except OUTAGE as error:
            self._outage_began(error)
            self._hold(batch)
        except Exception:  # noqa: BLE001 - a log write must never break the protocol
            logger.exception("Could not write %d OCPP frames to the message log", len(batch))

    @property
    def waiting(self) -> int:
        """Frames not yet written: buffered for the next batch or held by an outage
        (a metric's log-buffer depth)."""
        return len(self._buffer) + len(self.held)

    def _outage_began(self, error: BaseException) -> None:
        self._outage_since = time.monotonic()
        self._outage_dropped = 0
        self._retry_pause = OUTAGE_RETRY
        logger.warning(
            "Message log: database unreachable (%s: %s); holding frames (at most %d)",
            type(error).__name__,
            str(error).strip(),
            settings.OCPP_LOG_OUTAGE_BUFFER,
        )
        self._schedule_retry()

    def _hold(self, rows: list[tuple]) -> None:
        self.held.extend(rows)
        excess = len(self.held) - settings.OCPP_LOG_OUTAGE_BUFFER
        if excess > 0:
            for _ in range(excess):
                self.held.popleft()
            self.dropped += excess
            if self._outage_dropped == 0:
                logger.error(
                    "Message log: %d frames held, the limit (OCPP_LOG_OUTAGE_BUFFER); "
                    "dropping the oldest until the database answers",
                    settings.OCPP_LOG_OUTAGE_BUFFER,
                )
            self._outage_dropped += excess

    def _schedule_retry(self) -> None:
        loop = asyncio.get_running_loop()
        self._retry = loop.call_later(
            self._retry_pause, lambda: loop.create_task(self._write_held())
        )
        self._retry_pause = min(self._retry_pause * 2, OUTAGE_RETRY_MAX)

    async def _write_held(self) -> None:
        """Write the held frames, oldest first; on another failure, try again later."""
        self._retry = None
        written = 0
        while self.held:
            chunk = [self.held.popleft() for _ in range(min(CATCH_UP_BATCH, len(self.held)))]
            try:
                await _insert(chunk)
            except OUTAGE:
                # Back to the front, before what was held meanwhile; still bounded.
                self.held.extendleft(reversed(chunk))
                self._hold([])
                self._schedule_retry()
                return
            except Exception:  # noqa: BLE001 - a log write must never break the protocol
                logger.exception("Could not write %d held OCPP frames", len(chunk))
            written += len(chunk)
        logger.warning(
            "Message log: database back after %.1f s; wrote %d held frames, dropped %d",
            time.monotonic() - (self._outage_since or time.monotonic()),
            written,
            self._outage_dropped,
        )
        self._outage_since = None


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
