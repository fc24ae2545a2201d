"""A process runs a bounded number of handshakes at once; the rest wait, then give up."""

import asyncio
import time

from stations.services.handshake import (
    BUSY_RETRY_AFTER,
    CONNECT_MARGIN,
    PACE_MEMORY,
    PACE_WINDOW,
    HandshakeSlots,
    slot_wait,
)


async def test_a_handshake_waits_for_a_free_slot(settings):
    settings.OCPP_HANDSHAKE_WAIT = 5
    slots = HandshakeSlots(1)
    assert await slots.take()
    waiting = asyncio.create_task(slots.take())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    slots.release()
    assert await waiting


async def test_no_slot_within_the_wait_is_a_refusal(settings):
    settings.OCPP_HANDSHAKE_WAIT = 0.05
    slots = HandshakeSlots(1)
    assert await slots.take()
    assert not await slots.take()
    slots.release()
    assert await slots.take()


async def test_each_event_loop_has_its_own_slots(settings):
    settings.OCPP_HANDSHAKE_CONCURRENCY = 3
    slots = HandshakeSlots.of_this_loop()
    assert slots is HandshakeSlots.of_this_loop()
    other = await asyncio.to_thread(asyncio.run, _slots_of_a_new_loop())
    assert other is not slots


async def _slots_of_a_new_loop() -> HandshakeSlots:
    return HandshakeSlots.of_this_loop()


async def test_a_line_longer_than_the_process_serves_within_the_wait_is_crowded(settings):
    settings.OCPP_HANDSHAKE_WAIT = 1
    slots = HandshakeSlots(1, pace=1)
    assert not slots.crowded()  # a slot is free
    assert await slots.take()
    waiter = asyncio.create_task(slots.take())
    await asyncio.sleep(0.01)
    assert slots.crowded()  # one waits, and one a second is all it is known to manage

    # Serving one every 10 ms while others wait: about 100 a second.
    started = time.monotonic()
    while time.monotonic() - started < PACE_WINDOW + 0.2:
        slots.release()
        assert await waiter
        waiter = asyncio.create_task(slots.take())
        await asyncio.sleep(0.01)
    assert not slots.crowded()  # one in line gets a slot well within a second
    slots.release()
    assert await waiter
    slots.release()


def test_the_wait_for_a_slot_ends_before_the_server_s_connect_timeout(settings):
    settings.OCPP_HANDSHAKE_WAIT = 5
    assert slot_wait(None) == 5  # no server timeout known (manage.py serve gives 30)
    assert slot_wait(30) == 5
    assert slot_wait(5) == 5 - CONNECT_MARGIN  # plain daphne's default
    assert slot_wait(1) == 0  # no time to wait: a busy process refuses at once


async def test_before_it_has_measured_a_process_takes_a_burst_into_its_line(settings):
    """Refusing what the process could have taken costs each station a Retry-After."""
    settings.OCPP_HANDSHAKE_WAIT = 5
    slots = HandshakeSlots(1)
    assert await slots.take()
    waiters = [asyncio.create_task(slots.take()) for _ in range(200)]
    await asyncio.sleep(0.01)
    assert not slots.crowded()
    for waiter in waiters:
        slots.release()
        assert await waiter
    slots.release()


async def test_a_busy_refusal_asks_the_station_back_when_the_line_should_have_cleared(settings):
    settings.OCPP_HANDSHAKE_WAIT = 60
    slots = HandshakeSlots(1, pace=2)  # two a second, measured
    assert slots.busy().retry_after == 1  # nobody waits: at once, but not sooner than 1 s
    assert await slots.take()
    waiters = [asyncio.create_task(slots.take()) for _ in range(7)]
    await asyncio.sleep(0.01)
    refusal = slots.busy()
    assert (refusal.status, refusal.retry_after) == (503, 4)  # 7 ahead at 2 a second
    waiters += [asyncio.create_task(slots.take()) for _ in range(100)]
    await asyncio.sleep(0.01)
    assert slots.busy().retry_after == BUSY_RETRY_AFTER  # never longer
    for waiter in waiters:
        waiter.cancel()
    slots.release()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _line(slots: HandshakeSlots, clock: FakeClock, *, served: int, seconds: float) -> int:
    """One handshake holds the slot and 20 wait; `served` of them finish over `seconds`
    (the line as long throughout). Returns the Retry-After a station refused then is
    given; the line is then gone."""
    assert await slots.take()
    line = [asyncio.create_task(slots.take()) for _ in range(20)]
    for _ in range(served):
        clock.now += seconds / served
        slots.release()
        assert await line.pop(0)  # the first in line has the slot now
        line.append(asyncio.create_task(slots.take()))
    await asyncio.sleep(0)
    retry_after = slots.busy().retry_after
    for waiter in line:
        waiter.cancel()
    await asyncio.gather(*line, return_exceptions=True)
    slots.release()
    return retry_after


async def test_a_line_after_a_quiet_spell_is_paced_from_its_own_start(settings):
    """The pace once counted from the last handshake before the spell: a storm an hour
    after the last one was taken to be served at a handshake an hour, and every station
    refused was sent away for the longest Retry-After."""
    settings.OCPP_HANDSHAKE_WAIT = 60
    clock = FakeClock()
    slots = HandshakeSlots(1, clock=clock)
    assert await slots.take()
    slots.release()
    clock.now += 3600
    assert await _line(slots, clock, served=30, seconds=2.5) == 2  # 20 ahead, 12/s


async def test_a_slower_line_is_the_pace_only_once_the_faster_one_is_old(settings):
    settings.OCPP_HANDSHAKE_WAIT = 60
    clock = FakeClock()
    slots = HandshakeSlots(1, clock=clock)
    assert await _line(slots, clock, served=75, seconds=2.5) == 1  # 30/s
    # A flood being read, or a line running out: what the process manages is unchanged.
    assert await _line(slots, clock, served=9, seconds=2.5) == 1
    clock.now += PACE_MEMORY
    assert await _line(slots, clock, served=9, seconds=2.5) == 6  # 3.6/s, 20 ahead
