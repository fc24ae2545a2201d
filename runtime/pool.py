"""Stations' service calls on the database threads, handed over in batches.

Every OCPP message that reads or stores something is a call of a sync service on a
database thread (each thread has its own connection). Through Channels'
`database_sync_to_async` each call costs the event loop an executor submit, two
futures chained across threads and asgiref's context hand-over, and a wake-up on its
way back: in a burst of handshakes that was a tenth of the server's CPU. Here a call
made while every thread is busy waits, and the calls that waited go together to the
next free thread as one batch, run one after the other, and come back together.
An idle server hands each call over at once, as before.

A batch runs its calls as separate units of work: each its own transactions, each
its own outcome (value or exception) for its own caller. Like asgiref, the thread is
marked as serving the loop, so a task queued eagerly from a call
(chargenet/celery.py) or an `async_to_sync` runs on that loop.
"""

import asyncio
import collections
import contextvars
import functools
import os
import weakref
from collections.abc import Callable
from typing import Any

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections

#: Calls one batch takes at most: a call that waits long (a row lock) holds up the
#: ones behind it in its batch.
MAX_BATCH = 16

_pools: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, DatabasePool]" = (
    weakref.WeakKeyDictionary()
)


async def on_database(function: Callable, /, **kwargs) -> Any:
    """`function(**kwargs)` on a database thread of the running loop's pool."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = DatabasePool(loop, settings.DATABASE_THREADS)
    return await pool.call(function, kwargs)


class DatabasePool:
    """At most `threads` batches at once on the loop's default executor (the server
    sizes it to DATABASE_THREADS: runtime/server.py)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threads: int) -> None:
        self.loop = loop
        self.threads = threads
        self.running = 0
        self.waiting: collections.deque = collections.deque()

    async def call(self, function: Callable, kwargs: dict) -> Any:
        future = self.loop.create_future()
        self.waiting.append((function, kwargs, contextvars.copy_context(), future))
        if self.running < self.threads:
            self._start()
        return await future

    def _start(self) -> None:
        batch = [self.waiting.popleft() for _ in range(min(MAX_BATCH, len(self.waiting)))]
        batch = [call for call in batch if not call[-1].done()]  # callers cancelled meanwhile
        if not batch:
            return
        self.running += 1
        handed = self.loop.run_in_executor(None, _run, self.loop, batch)
        handed.add_done_callback(functools.partial(self._finish, batch))

    def _finish(self, batch: list, handed: asyncio.Future) -> None:
        self.running -= 1
        if handed.cancelled() or handed.exception() is not None:  # the executor shut down
            error = asyncio.CancelledError() if handed.cancelled() else handed.exception()
            outcomes = [(None, error)] * len(batch)
        else:
            outcomes = handed.result()
        for (*_, future), (value, error) in zip(batch, outcomes, strict=True):
            if future.done():
                continue  # its caller was cancelled while the call ran
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)
        while self.waiting and self.running < self.threads:
            self._start()


def _run(loop: asyncio.AbstractEventLoop, batch: list) -> list[tuple[Any, BaseException | None]]:
    """On a database thread: each call of the batch, and what it returned or raised."""
    SyncToAsync.threadlocal.main_event_loop = loop
    SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
    outcomes = []
    close_old_connections()  # as Channels does: a connection past its age or broken
    for function, kwargs, context, _ in batch:
        try:
            outcomes.append((context.run(function, **kwargs), None))
        except BaseException as error:  # noqa: BLE001 - its caller's to handle
            outcomes.append((None, error))
            close_old_connections()  # the next call must not inherit a broken one
    close_old_connections()
    return outcomes
