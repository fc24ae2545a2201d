"""A per-connection message queue that costs almost nothing while it is empty.

Every station socket has two queues that are empty nearly all the time: daphne's
input queue of the application instance and the channel layer's receive buffer of
the socket's channel. asyncio.Queue allocates four deques (one 0.5 KiB block each)
and an Event up front: about 3 KiB per queue, 6 KiB of every connection. This queue
keeps its items and waiting getters in lists made on first use and dropped once
empty, and has what daphne and channels_redis call: put_nowait, get, get_nowait,
empty, full, qsize (no put, join or task_done).
"""

import asyncio

#: Scope key of the LeanQueue a socket's application reads (`receive`): the server puts
#: it there so channel-layer messages can join the socket's own (runtime/channel_layer.py).
INBOX = "chargenet.inbox"


class LeanQueue:
    """asyncio.Queue's non-blocking put and awaitable get, with the same wake-up rules."""

    __slots__ = ("maxsize", "_items", "_getters")

    def __init__(self, maxsize: int = 0):
        self.maxsize = maxsize
        self._items: list | None = None
        self._getters: list[asyncio.Future] | None = None

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= self.qsize()

    def put_nowait(self, item) -> None:
        if self.full():
            raise asyncio.QueueFull
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        self._wake_next()

    def get_nowait(self):
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        return item

    async def get(self):
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()  # in case it is not done yet
                if self._getters and getter in self._getters:
                    self._getters.remove(getter)
                if self._items and not getter.cancelled():
                    # Woken by put_nowait but cannot take the item: the next one may.
                    self._wake_next()
                raise
            finally:
                if not self._getters:
                    self._getters = None
        return self.get_nowait()

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break
        if not self._getters:
            self._getters = None

    def __repr__(self) -> str:
        return f"<LeanQueue maxsize={self.maxsize} qsize={self.qsize()}>"


class LeanBoundedQueue(LeanQueue):
    """channels_redis's BoundedQueue: when full, the oldest message makes room."""

    __slots__ = ()

    def put_nowait(self, item) -> None:
        if self.full():
            # A consumer that stopped reading loses old messages, not the process memory.
            self.get_nowait()
        super().put_nowait(item)
