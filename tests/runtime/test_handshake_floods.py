"""A flood of refused handshakes from one address is refused before any database work."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from stations.services import handshake
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import basic_auth, communicator_for

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]


async def attempt(password: str) -> bool:
    communicator = communicator_for("/ocpp/CP-1", headers=[basic_auth("CP-1", password)])
    connected, _ = await communicator.connect(timeout=10)
    await communicator.disconnect()
    return connected


async def test_an_address_that_keeps_failing_is_refused_without_database_work(
    settings, monkeypatch
):
    settings.OCPP_HANDSHAKE_FAILURE_LIMIT = 3

    await database_sync_to_async(make_station)("CP-1")
    for _ in range(3):
        assert not await attempt("wrong-password-0001")

    def no_admission(**kwargs):
        raise AssertionError("a blocked address reached the database")

    monkeypatch.setattr(handshake, "admit", no_admission)
    # Even the right password waits until the address's minute is over.
    assert not await attempt(STATION_PASSWORD)


async def test_refusals_below_the_limit_leave_the_address_open(settings):
    settings.OCPP_HANDSHAKE_FAILURE_LIMIT = 3

    await database_sync_to_async(make_station)("CP-1")
    for _ in range(2):
        assert not await attempt("wrong-password-0001")
    assert await attempt(STATION_PASSWORD)


def test_the_count_starts_again_after_a_minute(settings, monkeypatch):
    settings.OCPP_HANDSHAKE_FAILURE_LIMIT = 2
    now = [1000.0]
    monkeypatch.setattr(handshake.time, "monotonic", lambda: now[0])
    addresses = handshake.RefusedAddresses()
    addresses.note_refused("192.0.2.1")
    addresses.note_refused("192.0.2.1")
    assert addresses.blocked("192.0.2.1") and not addresses.blocked("192.0.2.2")
    now[0] += handshake.RefusedAddresses.WINDOW
    assert not addresses.blocked("192.0.2.1")


async def test_a_crowded_process_refuses_at_once_without_database_work(settings, monkeypatch):
    """A station that would only be sent away after waiting is sent away before."""
    settings.OCPP_HANDSHAKE_WAIT = 1
    await database_sync_to_async(make_station)("CP-1")
    slots = handshake.HandshakeSlots(1)
    monkeypatch.setitem(handshake.HandshakeSlots._by_loop, asyncio.get_running_loop(), slots)
    assert await slots.take()
    waiting = asyncio.create_task(slots.take())  # as many wait as it serves in the wait
    await asyncio.sleep(0.01)
    assert slots.crowded()

    async def no_line(*args):
        raise AssertionError("a station joined a line it could not get through")

    def no_admission(**kwargs):
        raise AssertionError("a crowded process reached the database")

    monkeypatch.setattr(slots, "take", no_line)
    monkeypatch.setattr(handshake, "admit", no_admission)
    assert not await attempt(STATION_PASSWORD)
    slots.release()
    assert await waiting
    slots.release()
