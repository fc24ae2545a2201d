"""The OCPP frame log, written in batches so logging never costs a query per frame."""

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from stations.models import OcppMessage

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


class MessageLog:
    """Buffers frames per process and writes them with one INSERT per flush."""

    def __init__(self) -> None:
        self._buffer: list[OcppMessage] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def add(self, **fields) -> None:
        for name, value in fields.items():
            # A frame may carry a NUL (raw, or escaped in its id); PostgreSQL stores no
            # NUL, and one such row would cost the whole batch.
            if isinstance(value, str) and "\x00" in value:
                fields[name] = value.replace("\x00", "\ufffd")
        self._buffer.append(OcppMessage(**fields))
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
        try:
            await database_sync_to_async(OcppMessage.objects.bulk_create, thread_sensitive=False)(
                batch
            )
        except Exception:  # noqa: BLE001 - a log write must never break the protocol
            logger.exception("Could not write %d OCPP frames to the message log", len(batch))


message_log = MessageLog()
