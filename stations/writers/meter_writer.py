"""MeterValues written by group commit: many stations' readings in one transaction.

A station's MeterValues is answered only once its readings are committed (nothing a
station was told is stored may be lost), but a query per frame would make the
database the limit of how many stations one process serves. So each frame's
readings join the next batch; one batch is written at a time per event loop, and
the frames that arrive while it is being written form the next one. Under light
load a batch is one frame and waits for nothing; under heavy load batches grow and
the queries per frame fall (`meter_values_record_many`).

A batch that fails is retried one message at a time, so one bad message fails only
its own frame (answered with a CallError), never its neighbours'.
"""

import asyncio
import logging
import weakref

from channels.db import database_sync_to_async

from stations.services.meter_values import MeterValuesIn, meter_values_record_many

logger = logging.getLogger(__name__)

MAX_BATCH = 500  # messages per transaction


class MeterWriter:
    """Batches MeterValues of one event loop; `record` returns once committed."""

    def __init__(self) -> None:
        self._pending: list[tuple[MeterValuesIn, asyncio.Future]] = []
        self._writing = False

    async def record(self, message: MeterValuesIn) -> None:
        future = asyncio.get_running_loop().create_future()
        self._pending.append((message, future))
        if not self._writing:
            # Starts on the loop's next turn: frames already read join this batch.
            self._writing = True
            asyncio.get_running_loop().create_task(self._write_all())
        await future

    async def _write_all(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._write(batch)
        finally:
            self._writing = False

    async def _write(self, batch: list[tuple[MeterValuesIn, asyncio.Future]]) -> None:
        messages = [message for message, _ in batch]
        try:
            await _record_many(messages=messages)
        except Exception as error:  # noqa: BLE001 - retried one by one below
            if len(batch) == 1:
                _settle(batch[0][1], error)
                return
            logger.warning("A batch of %d MeterValues failed; writing one by one", len(batch))
            for message, future in batch:
                try:
                    await _record_many(messages=[message])
                except Exception as error:  # noqa: BLE001 - this frame's CallError
                    _settle(future, error)
                else:
                    _settle(future, None)
            return
        for _, future in batch:
            _settle(future, None)


_record_many = database_sync_to_async(meter_values_record_many, thread_sensitive=False)


def _settle(future: asyncio.Future, error: BaseException | None) -> None:
    if future.done():  # its frame's task was cancelled (the socket closed)
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


_writers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MeterWriter]" = (
    weakref.WeakKeyDictionary()
)


async def meter_values_record(message: MeterValuesIn) -> None:
    """Store one MeterValues message with the others of this moment; raises on failure."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = MeterWriter()
    await writer.record(message)


def meter_values_pending() -> int:
    """MeterValues messages waiting for their batch to be written, on every loop."""
    return sum(len(writer._pending) for writer in list(_writers.values()))
