"""The database threads (runtime/pool.py): calls that wait go together as a batch, and
each call keeps its own outcome."""

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync

from runtime import pool
from stations.models import ChargingStation
from tests.support.factories import make_station


class Gate:
    """A call that holds its thread until the test opens the gate."""

    def __init__(self) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()

    def hold(self) -> str:
        self.entered.set()
        self.opened.wait(5)
        return "held"


@pytest.fixture
def batches(monkeypatch):
    """The size of each batch handed to a thread, in order."""
    sizes = []
    run = pool._run

    def counted(loop, batch):
        sizes.append(len(batch))
        return run(loop, batch)

    monkeypatch.setattr(pool, "_run", counted)
    return sizes


def fail(n: int) -> None:
    raise ValueError(f"call {n}")


def negate(x: int) -> int:
    return -x


async def test_calls_that_wait_for_a_busy_thread_go_together(batches):
    one_thread = pool.DatabasePool(asyncio.get_running_loop(), threads=1)
    gate = Gate()
    first = asyncio.ensure_future(one_thread.call(gate.hold, {}))
    await asyncio.to_thread(gate.entered.wait, 5)
    waiting = [asyncio.ensure_future(one_thread.call(pow, {"base": n, "exp": 2})) for n in range(5)]
    failing = asyncio.ensure_future(one_thread.call(fail, {"n": 7}))
    await asyncio.sleep(0)
    gate.opened.set()

    assert await first == "held"
    assert [await call for call in waiting] == [0, 1, 4, 9, 16]
    with pytest.raises(ValueError, match="call 7"):
        await failing
    assert batches == [1, 6]
    assert one_thread.running == 0 and not one_thread.waiting


async def test_a_batch_is_never_longer_than_its_limit(batches, monkeypatch):
    monkeypatch.setattr(pool, "MAX_BATCH", 4)
    one_thread = pool.DatabasePool(asyncio.get_running_loop(), threads=1)
    gate = Gate()
    first = asyncio.ensure_future(one_thread.call(gate.hold, {}))
    await asyncio.to_thread(gate.entered.wait, 5)
    waiting = [asyncio.ensure_future(one_thread.call(negate, {"x": -n})) for n in range(10)]
    gate.opened.set()

    await first
    assert [await call for call in waiting] == list(range(10))
    assert batches == [1, 4, 4, 2]


async def test_a_call_whose_caller_went_away_before_it_began_is_not_made():
    one_thread = pool.DatabasePool(asyncio.get_running_loop(), threads=1)
    gate = Gate()
    made = []

    def record(*, what: str) -> None:
        made.append(what)

    first = asyncio.ensure_future(one_thread.call(gate.hold, {}))
    await asyncio.to_thread(gate.entered.wait, 5)
    gone = asyncio.ensure_future(one_thread.call(record, {"what": "gone"}))
    kept = asyncio.ensure_future(one_thread.call(negate, {"x": -2}))
    await asyncio.sleep(0)
    gone.cancel()
    gate.opened.set()

    await first
    assert await kept == 2
    assert gone.cancelled() and made == []


async def test_the_thread_is_marked_as_serving_the_loop():
    """So a task queued eagerly from a call runs on the loop (chargenet/celery.py)."""
    loop = asyncio.get_running_loop()

    def marked() -> bool:
        return SyncToAsync.threadlocal.main_event_loop is loop

    assert await pool.on_database(marked)


@pytest.mark.django_db(transaction=True)
async def test_services_read_and_write_on_the_threads_connections():
    station = await asyncio.to_thread(make_station)

    def rename(*, station_pk: int, vendor: str) -> int:
        return ChargingStation.objects.filter(pk=station_pk).update(vendor=vendor)

    changed = await asyncio.gather(
        *(pool.on_database(rename, station_pk=station.pk, vendor=f"V{n}") for n in range(20))
    )
    assert changed == [1] * 20
