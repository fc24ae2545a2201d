"""A flood of refused handshakes from one address is refused before any database work."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from stations.services import handshake
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import basic_auth, communicator_for

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

ADDRESS = "127.0.0.1"  # one depot's NAT: every station's handshake comes from it


async def attempt(password: str, station_id: str = "CP-1") -> bool:
    communicator = communicator_for(
        f"/ocpp/{station_id}", headers=[basic_auth(station_id, password)]
    )
    communicator.scope["client"] = (ADDRESS, 40000)
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
    addresses.note_refused("192.0.2.1", "CP-1")
    addresses.note_refused("192.0.2.1", "CP-1")
    assert addresses.blocked("192.0.2.1", "CP-1")
    assert not addresses.blocked("192.0.2.1", "CP-2")
    assert not addresses.blocked("192.0.2.2", "CP-1")
    now[0] += handshake.RefusedAddresses.WINDOW
    assert not addresses.blocked("192.0.2.1", "CP-1")


async def test_one_failing_station_spares_its_neighbours_behind_the_same_address(
    settings, monkeypatch
):
    """A depot's NAT: one misconfigured station is refused, the others keep connecting."""
    await database_sync_to_async(make_station)("CP-1")
    await database_sync_to_async(make_station)("CP-2")
    for _ in range(40):
        assert not await attempt("wrong-password-0001", "CP-1")

    assert handshake.refused_addresses.refusal(ADDRESS, "CP-1") == (
        handshake.TOO_MANY_STATION_FAILURES
    )
    assert await attempt(STATION_PASSWORD, "CP-2")

    def no_admission(**kwargs):
        raise AssertionError("a blocked station id reached the database")

    monkeypatch.setattr(handshake, "admit", no_admission)
    assert not await attempt(STATION_PASSWORD, "CP-1")


async def test_failures_across_many_station_ids_block_the_whole_address(settings, monkeypatch):
    # A limit the attempts reach well within the minute the counts last, on any database.
    settings.OCPP_HANDSHAKE_ADDRESS_FAILURE_LIMIT = 60
    await database_sync_to_async(make_station)("CP-1")
    for number in range(settings.OCPP_HANDSHAKE_ADDRESS_FAILURE_LIMIT):
        assert not await attempt("wrong-password-0001", f"UNKNOWN-{number % 50}")

    def no_admission(**kwargs):
        raise AssertionError("a blocked address reached the database")

    monkeypatch.setattr(handshake, "admit", no_admission)
    assert not await attempt(STATION_PASSWORD, "CP-1")
    assert handshake.refused_addresses.refusal(ADDRESS, "CP-1") == handshake.TOO_MANY_FAILURES


def test_the_counts_stay_bounded(settings, monkeypatch):
    settings.OCPP_HANDSHAKE_FAILURE_LIMIT = 1
    monkeypatch.setattr(handshake.RefusedAddresses, "MAX_TRACKED", 100)
    addresses = handshake.RefusedAddresses()
    for number in range(1000):
        addresses.note_refused(f"192.0.2.{number % 7}", f"CP-{number}")
    assert len(addresses._by_station) <= 100 and len(addresses._by_address) == 7
    assert addresses.blocked("192.0.2.5", "CP-999")  # the newest are kept


async def test_a_crowded_process_refuses_at_once_without_database_work(settings, monkeypatch):
    """A station that would only be sent away after waiting is sent away before."""
    settings.OCPP_HANDSHAKE_WAIT = 1
    await database_sync_to_async(make_station)("CP-1")
    slots = handshake.HandshakeSlots(1, pace=1)  # one a second, measured
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
