"""A process runs a bounded number of handshakes at once; the rest wait, then give up."""

import asyncio

from stations.handshake import HandshakeSlots


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
