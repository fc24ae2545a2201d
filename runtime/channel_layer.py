"""The Redis channel layer, made to outlive a Redis restart.

channels_redis raises a ConnectionError from `receive` when Redis goes away, which ends
every consumer of the process: every station socket of every daphne would drop at once
and come back as a reconnect storm. This layer keeps receiving instead:

- the blocking read behind `receive` (`_brpop_with_clean`, used by the one coroutine
  that reads for the whole process and by plain-channel receives) waits and tries
  again with a growing pause when Redis cannot be reached, so no consumer sees the
  outage; channels_redis's own receive bookkeeping (lock, buffers, counts) is untouched
  because the error never leaves that call;
- Redis keeps nothing on disk, so a restart empties the group sets: the layer
  remembers which (group, channel) pairs this process added and has not discarded,
  and adds them again before the first read after an outage;
- a pooled connection that sat idle across a restart is dead without knowing it: every
  command is tried once more on a fresh connection, so the first send after Redis came
  back does not fail (safe here: the layer's writes are idempotent sorted-set adds);
- a restart faster than that one retry fails no read at all: each process keeps a
  marker key in Redis and looks for it about once a second; a marker gone means Redis
  lost its groups, and they are added again at once;
- `group_discard` during an outage does not raise (a disconnecting consumer must still
  record the disconnect); the pair is removed once Redis answers again.

`group_send_many` sends a batch of group messages in a few round trips (live events);
sockets that open together join their groups in one round trip per Redis host
(`group_add`: channels_redis takes two per socket), and sockets that close together
leave them in one (`group_discard`).

`send` and `group_send` still raise redis's ConnectionError / TimeoutError while Redis
is away: callers decide (events are best effort, a command is recorded as failed).
"""

import asyncio
import collections
import functools
import logging
import time

from channels_redis.core import RedisChannelLayer
from channels_redis.utils import create_pool
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from runtime.queues import LeanBoundedQueue

logger = logging.getLogger(__name__)

#: What "Redis cannot be reached right now" looks like from redis-py.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)

FIRST_PAUSE = 0.1  # seconds before the first new attempt after a failed read
MAX_PAUSE = 2.0  # the pause grows by half up to this: a restarted Redis is seen soon
RESYNC_BATCH = 500  # group memberships re-added per pipeline round trip
POOL_SIZE = 100  # Redis connections per process
POOL_WAIT = 10.0  # seconds a command waits for a free pooled connection
MARKER_EVERY = 1.0  # seconds between looks for this process's marker key in Redis
MARKER_TTL = 60  # seconds; a resync is harmless, so a marker that lapsed is no harm

Membership = tuple[str, str]  # (group, channel)

#: How many members each group (KEYS) has that joined after ARGV[1] (the members that
#: joined before have expired, as channels_redis's group_send counts them).
_MEMBERS = """
local sizes = {}
for i, key in ipairs(KEYS) do
    sizes[i] = redis.call('ZCOUNT', key, '(' .. ARGV[1], '+inf')
end
return sizes
"""


class Batched:
    """Calls of `run` for one item each, made while a batch is under way, run together
    as the next batch; each caller waits for its own batch and gets its error.

    A storm opens or closes thousands of sockets a second, and each joins or leaves a
    group: a pooled connection and a round trip each cost more than the command.
    """

    def __init__(self, run) -> None:
        self.run = run  # async, takes the list of a batch's items
        self.waiting: list[tuple[object, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def __call__(self, item) -> None:
        loop = asyncio.get_running_loop()
        if self.task is not None and self.task.get_loop() is not loop:
            self.waiting, self.task = [], None  # an event loop that ended (a test's)
        done = loop.create_future()
        self.waiting.append((item, done))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._drain())
        await done

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            outcome = None
            try:
                await self.run([item for item, _ in batch])
            except Exception as error:  # noqa: BLE001 - raised to each caller instead
                outcome = error
            for _, done in batch:
                if done.done():
                    continue  # its caller was cancelled
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)


class ResilientRedisChannelLayer(RedisChannelLayer):
    """channels_redis's RedisChannelLayer that survives Redis restarts (module doc)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each receiving socket has a buffer, empty nearly always (runtime/queues.py).
        self.receive_buffer = collections.defaultdict(
            functools.partial(LeanBoundedQueue, self.capacity)
        )
        #: (group, channel) pairs added by this process and not discarded since.
        self.memberships: set[Membership] = set()
        #: Pairs whose discard failed while Redis was unreachable: removed on resync.
        self.stale_memberships: set[Membership] = set()
        #: Set by a failure; the next read first re-adds the memberships.
        self.resync_needed = False
        self._unreachable_since: float | None = None
        self._pause = FIRST_PAUSE
        self._marker_checked: dict[int, float] = {}
        self._marker_seen: dict[int, bool] = {}
        #: Channels whose messages go straight into their socket's queue, and the task
        #: that reads them (`deliver_into`).
        self._delivered: set[str] = set()
        self._pump: asyncio.Task | None = None
        self._join = Batched(self._joined)
        self._leave = Batched(self._left)

    def create_pool(self, index):
        host = dict(self.hosts[index])
        # Not set by the host's configuration: one more try on a new connection.
        host.setdefault("retry", Retry(NoBackoff(), 1))
        if "address" in host:
            # A boot storm publishes thousands of events at once: wait for a pooled
            # connection rather than fail with MaxConnectionsError at redis-py's 100.
            address = host.pop("address")
            host.setdefault("max_connections", POOL_SIZE)
            host.setdefault("timeout", POOL_WAIT)
            return BlockingConnectionPool.from_url(address, **host)
        return create_pool(host)

    # --- delivering into a socket's own queue -------------------------------------

    def deliver_into(self, channel: str, queue) -> None:
        """Put the messages of `channel` (one of this process's) straight into `queue`.

        channels_redis's `receive` costs every socket two tasks more while it waits,
        and a consumer waits on it beside its socket with two more (about 3 KiB of
        each connection, and a task made per frame): a socket whose messages all
        arrive in one queue needs none. The messages are read for the whole process
        by one task (the pump), which `receive`'s own reading spreads over the
        channels' buffers, as it always did for any channel of the process.
        """
        self.receive_buffer[channel] = queue
        self._delivered.add(channel)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._pump_messages())

    def stop_delivering(self, channel: str) -> None:
        """Messages to `channel` are no longer wanted (its socket has closed)."""
        self._delivered.discard(channel)
        self.receive_buffer.pop(channel, None)
        if not self._delivered and self._pump is not None:
            # Nothing to read for: an event loop that ends (a test's) leaves no reader.
            self._pump.cancel()
            self._pump = None

    async def _pump_messages(self) -> None:
        # A channel of the process nothing is sent to: its `receive` reads for them all.
        channel = await self.new_channel()
        while True:
            try:
                await self.receive(channel)
            except Exception:  # noqa: BLE001 - the sockets must go on getting theirs
                logger.exception("Reading the channel layer failed; reading again")
                await asyncio.sleep(self._pause)

    # --- reading ----------------------------------------------------------------

    async def _brpop_with_clean(self, index, channel, timeout):
        """One blocking read; None (read again) after a pause when Redis is away.

        channels_redis's receive_single loops on this while it returns None, so an
        outage is a series of empty reads; cancellation during the pause propagates as
        it would during the read itself.
        """
        try:
            if self.resync_needed:
                await self._resync()
            member = await super()._brpop_with_clean(index, channel, timeout)
        except UNREACHABLE as error:
            self._note_unreachable(error)
            pause = self._pause
            self._pause = min(self._pause * 1.5, MAX_PAUSE)
            await asyncio.sleep(pause)
            return None
        self._note_reachable()
        await self._check_restarted(index)
        return member

    async def _check_restarted(self, index: int) -> None:
        """Resync when Redis lost this process's marker: it restarted (or was flushed)
        between two reads without a read failing, e.g. within the one retry a
        command gets. Checked at most every MARKER_EVERY seconds per host."""
        now = time.monotonic()
        if now - self._marker_checked.get(index, 0.0) < MARKER_EVERY:
            return
        self._marker_checked[index] = now
        try:
            key = f"{self.prefix}:alive:{self.client_prefix}"
            pipe = self.connection(index).pipeline(transaction=False)
            pipe.set(key, 1, nx=True, ex=MARKER_TTL)
            pipe.expire(key, MARKER_TTL)  # gone a minute after this process is
            created, _ = await pipe.execute()
            if created and self._marker_seen.get(index) and self.memberships:
                logger.warning(
                    "Redis lost this process's state (restarted); re-adding %d group memberships",
                    len(self.memberships),
                )
                await self._resync()
            self._marker_seen[index] = True
        except UNREACHABLE as error:
            self._note_unreachable(error)

    async def _clean_receive_backup(self, index, channel):
        # A detached task: with Redis away the backup copy is either gone with the
        # restart or put back in the queue by the next read (channels_redis's usual
        # at-least-once delivery), so an unreachable Redis is nothing to report here.
        try:
            await super()._clean_receive_backup(index, channel)
        except UNREACHABLE:
            logger.debug("Could not clean the receive backup of %s", channel, exc_info=True)

    def _note_unreachable(self, error: BaseException) -> None:
        self.resync_needed = True
        if self._unreachable_since is None:
            self._unreachable_since = time.monotonic()
            logger.warning(
                "Redis channel layer unreachable (%s: %s); retrying, consumers keep running",
                type(error).__name__,
                error,
            )

    def _note_reachable(self) -> None:
        if self._unreachable_since is not None:
            logger.warning(
                "Redis channel layer reachable again after %.1f s; %d group memberships restored",
                time.monotonic() - self._unreachable_since,
                len(self.memberships),
            )
            self._unreachable_since = None
        self._pause = FIRST_PAUSE

    async def _resync(self) -> None:
        """Add this process's memberships again and drop the stale ones.

        Raises the redis error if Redis is still away (the caller pauses and retries).
        A pair joined or left while this runs is joined or left again at the end, so a
        resync never undoes what a consumer has just done.
        """
        joined = list(self.memberships)
        stale = list(self.stale_memberships)
        now = time.time()
        commands: dict[int, list[tuple[str, bytes, str]]] = collections.defaultdict(list)
        for group, channel in joined:
            commands[self.consistent_hash(group)].append(("add", self._group_key(group), channel))
        for group, channel in stale:
            commands[self.consistent_hash(group)].append(("rem", self._group_key(group), channel))
        for index, batch in commands.items():
            connection = self.connection(index)
            for start in range(0, len(batch), RESYNC_BATCH):
                pipe = connection.pipeline(transaction=False)
                for what, key, channel in batch[start : start + RESYNC_BATCH]:
                    if what == "add":
                        pipe.zadd(key, {channel: now})
                        pipe.expire(key, self.group_expiry)
                    else:
                        pipe.zrem(key, channel)
                await pipe.execute()
        self.stale_memberships.difference_update(stale)
        # Joined or left while the pipeline ran: it may have undone that, so redo it.
        for group, channel in set(stale) & self.memberships:
            await super().group_add(group, channel)
        left = set(joined) - self.memberships
        self.stale_memberships.update(left)
        for group, channel in left:
            await super().group_discard(group, channel)
            self.stale_memberships.discard((group, channel))
        # A discard that failed meanwhile asks for another round.
        self.resync_needed = bool(self.stale_memberships)

    # --- groups -----------------------------------------------------------------

    async def group_add(self, group, channel):
        """Join a group, together with whoever else is joining meanwhile (`Batched`):
        every handshake joins its station's group."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        await self._join((group, channel))

    async def _joined(self, pairs: list[Membership]) -> None:
        await self._groups_join(pairs)
        self.memberships.update(pairs)
        self.stale_memberships.difference_update(pairs)

    async def _groups_join(self, pairs: list[Membership]) -> None:
        """channels_redis's two commands per pair (ZADD, EXPIRE), pipelined per host."""
        now = time.time()
        for index, theirs in self._by_host(pairs).items():
            pipe = self.connection(index).pipeline(transaction=False)
            for group, channel in theirs:
                key = self._group_key(group)
                pipe.zadd(key, {channel: now})
                pipe.expire(key, self.group_expiry)
            await pipe.execute()

    async def group_discard(self, group, channel):
        """Leave a group, together with whoever else is leaving meanwhile (`Batched`)."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        self.memberships.discard((group, channel))
        await self._leave((group, channel))

    async def _left(self, pairs: list[Membership]) -> None:
        try:
            await self._groups_leave(pairs)
        except UNREACHABLE as error:
            # Removed from Redis on the next resync (a restarted Redis has lost them).
            self.stale_memberships.update(pairs)
            self.resync_needed = True
            # One warning per outage: the read path has already said Redis is away.
            log = logger.debug if self._unreachable_since is not None else logger.warning
            log("Could not leave %d groups, Redis unreachable (%s); later", len(pairs), error)

    def _by_host(self, pairs: list[Membership]) -> dict[int, list[Membership]]:
        by_host: dict[int, list[Membership]] = collections.defaultdict(list)
        for group, channel in pairs:
            by_host[self.consistent_hash(group)].append((group, channel))
        return by_host

    async def _groups_leave(self, pairs: list[Membership]) -> None:
        for index, theirs in self._by_host(pairs).items():
            pipe = self.connection(index).pipeline(transaction=False)
            for group, channel in theirs:
                pipe.zrem(self._group_key(group), channel)
            await pipe.execute()

    async def group_send_many(self, messages: dict[str, dict]) -> None:
        """`group_send` of each group's message, skipping the groups nobody is in.

        Members of every group are counted by one script per Redis host; only groups
        with members are then sent to. A batch of live events names one group per
        station and nobody watches most stations: this saves two round trips per
        station and batch (and two commands each, where a pipeline counted them).
        """
        by_host: dict[int, list[str]] = collections.defaultdict(list)
        for group in messages:
            assert self.require_valid_group_name(group), "Group name not valid"
            by_host[self.consistent_hash(group)].append(group)
        expired = int(time.time()) - self.group_expiry
        for index, groups in by_host.items():
            keys = [self._group_key(group) for group in groups]
            sizes = await self.connection(index).eval(_MEMBERS, len(keys), *keys, expired)
            for group, size in zip(groups, sizes, strict=True):
                if size:
                    await self.group_send(group, messages[group])

    async def flush(self):
        await super().flush()
        self.memberships.clear()
        self.stale_memberships.clear()
        self.resync_needed = False


async def group_send_many(layer, messages: dict[str, dict]) -> None:
    """Send each group its message: in a few round trips where the layer can."""
    if isinstance(layer, ResilientRedisChannelLayer):
        await layer.group_send_many(messages)
        return
    for group, message in messages.items():
        await layer.group_send(group, message)
