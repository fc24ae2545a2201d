"""The server's live events: batched per group, a session's updates coalesced."""

import asyncio
import concurrent.futures
import threading

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from stations import events


async def test_events_of_a_moment_share_one_message_per_group():
    layer = get_channel_layer()
    network = await layer.new_channel()
    station = await layer.new_channel()
    await layer.group_add(events.NETWORK_GROUP, network)
    await layer.group_add(events.station_group(7), station)
    events.bind_loop(asyncio.get_running_loop())
    for energy in (100, 200, 300):
        events._send(
            {
                "type": "live.event",
                "kind": "session.updated",
                "station": 7,
                "data": {"session": 1, "energy_wh": energy},
            },
            7,
        )
    events._send(
        {
            "type": "live.event",
            "kind": "connector.status",
            "station": 8,
            "data": {"connector": 1, "status": "Faulted"},
        },
        8,
    )
    batch = await asyncio.wait_for(layer.receive(network), 2)
    assert batch["type"] == "live.events"
    assert [(e["kind"], e["data"]) for e in batch["events"]] == [
        ("session.updated", {"session": 1, "energy_wh": 300}),
        ("connector.status", {"connector": 1, "status": "Faulted"}),
    ]
    mine = await asyncio.wait_for(layer.receive(station), 2)
    assert [e["data"]["energy_wh"] for e in mine["events"]] == [300]


async def test_a_channel_layer_that_fails_loses_the_batch_not_the_server():
    class Down:
        async def group_send(self, group, message):
            raise ConnectionError("Redis is away")

    await events._send_batch(Down(), [{"kind": "x", "station": 1, "data": {}}])


def test_a_database_thread_publishing_after_the_server_loop_stopped_does_not_hang():
    """At shutdown the loop stops while its database threads still mark stations
    offline: what they publish must not wait for the stopped loop."""
    started, go = threading.Event(), threading.Event()
    finished = concurrent.futures.Future()

    def mark_offline():  # a service function on the server's database thread pool
        started.set()
        go.wait(5)
        try:
            events._send({"type": "live.event", "kind": "station.offline", "data": {}}, 9)
        except BaseException as error:  # noqa: BLE001 - reported below
            finished.set_exception(error)
        else:
            finished.set_result(None)

    loop = asyncio.new_event_loop()
    try:
        events.bind_loop(loop)
        task = loop.create_task(sync_to_async(mark_offline, thread_sensitive=False)())
        loop.run_until_complete(asyncio.to_thread(started.wait, 5))
        go.set()  # the loop is stopped from here on, the thread goes on
        assert finished.result(timeout=10) is None
        task.cancel()
    finally:
        events.bind_loop(None)
        loop.close()


async def test_events_from_a_database_thread_wake_the_loop_once_in_their_order():
    """A burst's boots publish four events a station from the database threads: those
    that arrive while the loop is busy are taken with one wake-up, in order."""
    layer = get_channel_layer()
    network = await layer.new_channel()
    await layer.group_add(events.NETWORK_GROUP, network)
    loop = asyncio.get_running_loop()
    events.bind_loop(loop)
    wakeups = []
    call_soon_threadsafe = loop.call_soon_threadsafe

    def counted(callback, *args, **kwargs):
        wakeups.append(callback)
        return call_soon_threadsafe(callback, *args, **kwargs)

    def publish():  # a service function on a database thread
        for connector in range(5):
            message = {"kind": "connector.status", "station": 8, "data": {"connector": connector}}
            events._send({"type": "live.event", **message}, 8)

    loop.call_soon_threadsafe = counted
    try:
        thread = threading.Thread(target=publish)
        thread.start()
        thread.join()  # the loop is busy meanwhile
    finally:
        del loop.call_soon_threadsafe
    batch = await asyncio.wait_for(layer.receive(network), 2)
    assert [event["data"]["connector"] for event in batch["events"]] == [0, 1, 2, 3, 4]
    assert len(wakeups) == 1
