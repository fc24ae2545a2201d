import asyncio

import pytest

from runtime.queues import LeanBoundedQueue, LeanQueue


async def test_items_come_out_in_order_and_an_empty_queue_holds_no_list():
    queue = LeanQueue()
    assert queue.empty() and queue.qsize() == 0
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert queue.qsize() == 2
    assert await queue.get() == 1
    assert queue.get_nowait() == 2
    assert queue.empty()
    assert queue._items is None and queue._getters is None
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_waiting_get_is_woken_by_put_nowait():
    queue = LeanQueue()
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.put_nowait("message")
    assert await getter == "message"
    assert queue._getters is None


async def test_getters_are_served_first_come_first_served():
    queue = LeanQueue()
    first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("a")
    queue.put_nowait("b")
    assert await first == "a"
    assert await second == "b"


async def test_a_cancelled_get_leaves_the_item_to_the_next_getter():
    queue = LeanQueue()
    first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("only")  # wakes `first`, which is cancelled before it runs
    first.cancel()
    assert await second == "only"
    assert first.cancelled()
    assert queue.empty() and queue._getters is None


async def test_a_full_queue_refuses_and_a_bounded_one_drops_the_oldest():
    queue = LeanQueue(maxsize=1)
    queue.put_nowait(1)
    assert queue.full()
    with pytest.raises(asyncio.QueueFull):
        queue.put_nowait(2)

    bounded = LeanBoundedQueue(2)
    for item in (1, 2, 3):
        bounded.put_nowait(item)
    assert [bounded.get_nowait(), bounded.get_nowait()] == [2, 3]
