"""Last-seen writes by group commit: the stations heard from at one moment in one UPDATE.

A Heartbeat is answered once its station's `last_seen` is written, as before, but a
query (and a thread hand-off) per Heartbeat made the database the limit of a loaded
process. Stations touched while one write runs form the next one, one write at a time
per event loop: under light load a write is one station and waits for nothing, under
heavy load one UPDATE covers hundreds.
"""

import asyncio
import weakref

from channels.db import database_sync_to_async

from stations.services import connections

MAX_BATCH = 1000  # stations per UPDATE


def _write(station_pks: list[int]) -> None:
    if len(station_pks) == 1:
        connections.station_touch(station_pk=station_pks[0])
    else:
        connections.stations_touch(station_pks=station_pks)


_write_async = database_sync_to_async(_write, thread_sensitive=False)


class LastSeenWriter:
    """Groups the touches of one event loop; `touch` returns once written."""

    def __init__(self) -> None:
        self._pending: dict[int, list[asyncio.Future]] = {}
        self._writing = False

    async def touch(self, station_pk: int) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.setdefault(station_pk, []).append(future)
        if not self._writing:
            # Starts on the loop's next turn: stations already read join this write.
            self._writing = True
            loop.create_task(self._write_all())
        await future

    async def _write_all(self) -> None:
        try:
            while self._pending:
                pending = self._pending
                batch = dict(list(pending.items())[:MAX_BATCH])
                self._pending = {pk: pending[pk] for pk in list(pending)[MAX_BATCH:]}
                try:
                    await _write_async(list(batch))
                except Exception as error:  # noqa: BLE001 - each waiting frame's error
                    _settle(batch, error)
                else:
                    _settle(batch, None)
        finally:
            self._writing = False


def _settle(batch: dict[int, list[asyncio.Future]], error: BaseException | None) -> None:
    for futures in batch.values():
        for future in futures:
            if future.done():  # its frame's task was cancelled (the socket closed)
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)


_writers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LastSeenWriter]" = (
    weakref.WeakKeyDictionary()
)


async def station_touch(station_pk: int) -> None:
    """Write that the station was seen now, with the others of this moment."""
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = LastSeenWriter()
    await writer.touch(station_pk)
