"""runtime.channel_layer against a real redis-server that is restarted or cut off.

Each test runs its own redis-server (nothing on disk, like production), so a restart
really empties it.
"""

import asyncio
import contextlib
import time

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels_redis.core import RedisChannelLayer
from django.db import connections
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError

from runtime.channel_layer import ResilientRedisChannelLayer
from runtime.queues import LeanQueue
from stations.commands.service import command_send
from stations.models import ChargingStation, Command
from tests.support.cluster import servers_skip_reason
from tests.support.factories import make_station
from tests.support.fault_servers import RedisServer, TcpProxy
from tests.support.waiting import await_condition

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(servers_skip_reason() is not None, reason=servers_skip_reason() or ""),
]


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def layer_on(url: str, cls=ResilientRedisChannelLayer):
    # As chargenet/settings.py configures it: reads outlast the 5 s blocking read.
    return cls(hosts=[{"address": url, "socket_timeout": 15}], capacity=100, expiry=30)


@contextlib.asynccontextmanager
async def closing(*layers):
    try:
        yield layers
    finally:
        for layer in layers:
            await layer.close_pools()


def members(url: str, group: str) -> set[str]:
    """The channels of `group` as Redis holds them (channels_redis's key name)."""
    client = redis.Redis.from_url(url)
    try:
        return {name.decode() for name in client.zrange(f"asgi:group:{group}", 0, -1)}
    finally:
        client.close()


async def restart(server: RedisServer, down_for: float = 0.5) -> None:
    await asyncio.to_thread(server.restart, down_for)


def groups_sent_to(layer) -> list[str]:
    """The groups `layer.group_send` is called for from now on, in order."""
    sent = []
    group_send = layer.group_send

    async def counted(group, message):
        sent.append(group)
        await group_send(group, message)

    layer.group_send = counted
    return sent


def batch_sizes(layer, method: str) -> list[int]:
    """The number of members each call of the layer's `method` (a batch) carries from now on."""
    sizes = []
    batch = getattr(layer, method)

    async def counted(pairs):
        sizes.append(len(pairs))
        await batch(pairs)

    setattr(layer, method, counted)
    return sizes


async def test_a_socket_queue_gets_its_channel_beside_plain_receivers_across_a_restart(
    redis_server,
):
    async with closing(layer_on(redis_server.url), layer_on(redis_server.url)) as (layer, other):
        delivered, plain = await layer.new_channel(), await layer.new_channel()
        inbox = LeanQueue()  # a station socket's (runtime/queues.py INBOX)
        layer.deliver_into(delivered, inbox)
        receiver = asyncio.create_task(layer.receive(plain))
        await asyncio.sleep(0.3)
        await restart(redis_server)
        await asyncio.sleep(0.3)

        await other.send(delivered, {"type": "to.socket", "n": 1})
        await other.send(plain, {"type": "to.plain", "n": 2})
        await other.send(delivered, {"type": "to.socket", "n": 3})
        assert await asyncio.wait_for(receiver, 10) == {"type": "to.plain", "n": 2}
        got = [await asyncio.wait_for(inbox.get(), 10) for _ in range(2)]
        assert [message["n"] for message in got] == [1, 3]

        layer.stop_delivering(delivered)  # the last socket: nothing is left reading
        await asyncio.sleep(0.2)
        assert asyncio.all_tasks() == {asyncio.current_task()}
        assert layer.receive_count == 0


async def test_receivers_outlive_a_restart_and_get_what_is_sent_after_it(redis_server):
    async with closing(layer_on(redis_server.url), layer_on(redis_server.url)) as (layer, other):
        first, second = await layer.new_channel(), await layer.new_channel()
        # Two consumers of one process share its single read loop.
        receivers = [asyncio.create_task(layer.receive(c)) for c in (first, second)]
        await asyncio.sleep(0.3)
        await restart(redis_server)
        await asyncio.sleep(0.3)
        assert not any(task.done() for task in receivers), "a receive died with Redis"

        await other.send(first, {"type": "after.restart", "n": 1})
        await other.send(second, {"type": "after.restart", "n": 2})
        got = await asyncio.wait_for(asyncio.gather(*receivers), 10)
        assert got == [{"type": "after.restart", "n": 1}, {"type": "after.restart", "n": 2}]
        assert layer.receive_count == 0 and layer.receive_lock is None


async def test_plain_channels_redis_receive_dies_on_a_restart(redis_server):
    """Why the subclass exists: channels_redis's own receive raises."""
    async with closing(layer_on(redis_server.url, RedisChannelLayer)) as (layer,):
        receiver = asyncio.create_task(layer.receive(await layer.new_channel()))
        await asyncio.sleep(0.3)
        await restart(redis_server)
        with pytest.raises(RedisConnectionError):
            await asyncio.wait_for(receiver, 10)


async def test_groups_are_joined_again_after_a_restart_and_messages_reach_them(redis_server):
    url = redis_server.url
    async with closing(layer_on(url), layer_on(url)) as (layer, other):
        station, page = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("station.7", station)
        await layer.group_add("live.network", page)
        await layer.group_add("live.station.7", page)
        await layer.group_discard("live.station.7", page)  # the page moved on
        receiver = asyncio.create_task(layer.receive(station))
        await asyncio.sleep(0.3)

        await restart(redis_server)
        assert members(url, "station.7") == set(), "the restarted Redis should be empty"
        await await_condition(lambda: members(url, "station.7") == {station}, 10, "re-join")
        assert members(url, "live.network") == {page}
        assert members(url, "live.station.7") == set(), "a group left was joined again"
        assert layer.memberships == {("station.7", station), ("live.network", page)}

        # Another process's group_send reaches the consumer through its re-joined group.
        await other.group_send("station.7", {"type": "station.command", "command": 1})
        got = await asyncio.wait_for(receiver, 10)
        assert got == {"type": "station.command", "command": 1}


async def test_a_group_left_while_redis_is_cut_off_is_left_when_it_answers(redis_server):
    """A network cut, not a restart: Redis keeps the group, so the layer must leave it."""
    proxy = TcpProxy("127.0.0.1", redis_server.port).start()
    url = f"redis://127.0.0.1:{proxy.port}/0"
    try:
        async with closing(layer_on(url)) as (layer,):
            leaving, staying = await layer.new_channel(), await layer.new_channel()
            await layer.group_add("station.8", leaving)
            await layer.group_add("station.9", staying)
            receiver = asyncio.create_task(layer.receive(staying))
            await asyncio.sleep(0.3)

            await asyncio.to_thread(proxy.cut)
            await layer.group_discard("station.8", leaving)  # a disconnect: must not raise
            assert members(redis_server.url, "station.8") == {leaving}
            await asyncio.sleep(0.5)
            await asyncio.to_thread(proxy.restore)

            await await_condition(
                lambda: members(redis_server.url, "station.8") == set(), 10, "group left"
            )
            assert members(redis_server.url, "station.9") == {staying}
            assert not receiver.done()
            receiver.cancel()
        # The layer's connections are closed: let the proxy see them go before it stops.
        await await_condition(lambda: not proxy.pairs, 5, "proxied connections closed")
    finally:
        proxy.close()


async def test_a_receive_cancelled_during_an_outage_leaves_the_layer_usable(redis_server):
    async with closing(layer_on(redis_server.url)) as (layer,):
        channel = await layer.new_channel()
        await asyncio.to_thread(redis_server.stop)
        receiver = asyncio.create_task(layer.receive(channel))
        await asyncio.sleep(0.5)  # a few failed reads and pauses
        receiver.cancel()
        with pytest.raises(asyncio.CancelledError):
            await receiver
        assert layer.receive_count == 0 and layer.receive_lock is None

        await asyncio.to_thread(redis_server.start)
        receiver = asyncio.create_task(layer.receive(channel))
        await layer.send(channel, {"type": "hello"})
        assert await asyncio.wait_for(receiver, 10) == {"type": "hello"}


async def test_sending_while_redis_is_down_raises_for_the_caller_to_decide(redis_server):
    async with closing(layer_on(redis_server.url)) as (layer,):
        channel = await layer.new_channel()
        await asyncio.to_thread(redis_server.stop)
        with pytest.raises(RedisConnectionError):
            await layer.send(channel, {"type": "hello"})
        with pytest.raises(RedisConnectionError):
            await layer.group_send("station.1", {"type": "hello"})


@pytest.mark.django_db(transaction=True)
async def test_a_command_while_redis_is_down_is_stored_failed(redis_server):
    station = await database_sync_to_async(make_station)("DOWN-1", connected=True)
    layers = {
        "default": {
            "BACKEND": "runtime.channel_layer.ResilientRedisChannelLayer",
            "CONFIG": {"hosts": [{"address": redis_server.url, "socket_timeout": 15}]},
        }
    }
    await asyncio.to_thread(redis_server.stop)
    channel_layers.backends = {}
    try:
        with override_settings(CHANNEL_LAYERS=layers):
            command = await command_send(station, "reset", {"type": "soft"}, timeout=5)
        assert command.status == Command.Status.FAILED
        assert "unreachable" in command.error["description"]
        assert await Command.objects.filter(station=station).acount() == 1
        assert (await ChargingStation.objects.aget(pk=station.pk)).connected
    finally:
        channel_layers.backends = {}
        await database_sync_to_async(connections.close_all)()


async def test_a_batch_of_group_messages_skips_the_groups_nobody_is_in(redis_server):
    async with closing(layer_on(redis_server.url)) as (layer,):
        watcher = await layer.new_channel()
        await layer.group_add("live.station.7", watcher)
        sent = groups_sent_to(layer)
        batch = {f"live.station.{n}": {"type": "live.events", "n": n} for n in range(1, 501)}
        await layer.group_send_many(batch)
        assert sent == ["live.station.7"]  # the 499 empty groups cost one round trip
        assert (await asyncio.wait_for(layer.receive(watcher), 2))["n"] == 7


async def test_a_batch_skips_a_group_whose_members_have_expired(redis_server):
    """A member that joined longer ago than the group expiry is no longer in the group
    (channels_redis's group_send would not send to it either)."""
    async with closing(layer_on(redis_server.url)) as (layer,):
        fresh, stale = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("live.station.1", fresh)
        await layer.group_add("live.station.2", stale)
        joined_long_ago = time.time() - layer.group_expiry - 5
        redis = layer.connection(layer.consistent_hash("live.station.2"))
        await redis.zadd(layer._group_key("live.station.2"), {stale: joined_long_ago})
        sent = groups_sent_to(layer)
        await layer.group_send_many({f"live.station.{n}": {"type": "live.events"} for n in (1, 2)})
        assert sent == ["live.station.1"]


async def test_sockets_that_open_together_join_their_groups_in_one_round_trip(redis_server):
    """A burst of handshakes: each socket joins its station's group."""
    url = redis_server.url
    async with closing(layer_on(url)) as (layer,):
        channels = [await layer.new_channel() for _ in range(50)]
        batches = batch_sizes(layer, "_groups_join")
        await asyncio.gather(
            *(layer.group_add(f"station.{n}", channel) for n, channel in enumerate(channels))
        )
        assert sum(batches) == 50 and len(batches) <= 2  # the first alone, the rest together
        assert all(members(url, f"station.{n}") == {channels[n]} for n in range(50))
        assert layer.memberships == {(f"station.{n}", c) for n, c in enumerate(channels)}


async def test_a_join_while_redis_is_down_raises_to_each_caller(redis_server):
    """A handshake answers 503 when it cannot join its group; nobody waits for ever."""
    async with closing(layer_on(redis_server.url)) as (layer,):
        channels = [await layer.new_channel() for _ in range(3)]
        redis_server.stop()
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(layer.group_add(f"station.{n}", c) for n, c in enumerate(channels)),
                return_exceptions=True,
            ),
            15,
        )
        assert all(isinstance(outcome, RedisConnectionError) for outcome in outcomes)
        assert layer.memberships == set()


async def test_sockets_that_close_together_leave_their_groups_in_one_round_trip(redis_server):
    """A storm drops thousands of sockets at once: one ZREM each was a round trip each."""
    url = redis_server.url
    async with closing(layer_on(url)) as (layer,):
        channels = [await layer.new_channel() for _ in range(50)]
        for n, channel in enumerate(channels):
            await layer.group_add(f"station.{n}", channel)
        staying = await layer.new_channel()
        await layer.group_add("station.0", staying)
        batches = batch_sizes(layer, "_groups_leave")
        await asyncio.gather(
            *(layer.group_discard(f"station.{n}", channel) for n, channel in enumerate(channels))
        )
        assert batches == [50]
        assert all(members(url, f"station.{n}") == set() for n in range(1, 50))
        assert members(url, "station.0") == {staying}
        assert layer.memberships == {("station.0", staying)}
