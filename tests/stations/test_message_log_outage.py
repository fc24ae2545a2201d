"""The message log while the database is away: frames wait, bounded, and are written
when it answers again; what the bound drops is counted and logged.

The database is made to fail by replacing the log's writer with one that raises the
OperationalError a stopped PostgreSQL gives, then lets the real writer through.
"""

import asyncio
import logging

import pytest
from django.db import OperationalError

from stations.models import OcppMessage
from stations.writers import message_log as log_module
from stations.writers.message_log import MessageLog

pytestmark = pytest.mark.django_db(transaction=True)


class Database:
    """The log's writer, down until `up()`; counts the attempts made meanwhile."""

    def __init__(self, monkeypatch):
        self.real = log_module._insert
        self.down = True
        self.attempts = 0
        monkeypatch.setattr(log_module, "_insert", self.insert)
        monkeypatch.setattr(log_module, "OUTAGE_RETRY", 0.05)
        monkeypatch.setattr(log_module, "OUTAGE_RETRY_MAX", 0.1)

    async def insert(self, rows):
        if self.down:
            self.attempts += 1
            raise OperationalError("connection failed: Connection refused")
        await self.real(rows)

    def up(self) -> None:
        self.down = False


def add(log: MessageLog, station, *ids: str) -> None:
    for unique_id in ids:
        log.add(
            station_id=station.pk,
            direction="in",
            message_type=2,
            action="Heartbeat",
            unique_id=unique_id,
            error_code="",
            payload="{}",
        )


async def stored_ids() -> list[str]:
    return [m async for m in OcppMessage.objects.order_by("pk").values_list("unique_id", flat=True)]


async def until(condition, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_frames_wait_while_the_database_is_away_and_are_written_in_order_after(
    station, monkeypatch, caplog
):
    database = Database(monkeypatch)
    log = MessageLog()
    caplog.set_level(logging.WARNING, "stations.writers.message_log")
    add(log, station, "a1", "a2")
    await log.flush()
    add(log, station, "a3")
    await log.flush()  # held behind the others, no new write attempt per frame
    assert [row[4] for row in log.held] == ["a1", "a2", "a3"]
    assert log.waiting == 3 and log.dropped == 0
    assert "database unreachable" in caplog.text
    await asyncio.sleep(0.3)  # retries fail meanwhile; nothing is lost
    assert database.attempts >= 2 and len(log.held) == 3
    database.up()
    add(log, station, "a4")
    await log.flush()
    await until(lambda: _written(log))
    assert await stored_ids() == ["a1", "a2", "a3", "a4"]
    assert "database back" in caplog.text and "dropped 0" in caplog.text
    # Back to normal: the next flush writes at once.
    add(log, station, "a5")
    await log.flush()
    assert (await stored_ids())[-1] == "a5"


async def _written(log: MessageLog) -> bool:
    return not log.held and log._outage_since is None


async def test_beyond_the_bound_the_oldest_frames_are_dropped_counted_and_logged(
    station, monkeypatch, settings, caplog
):
    settings.OCPP_LOG_OUTAGE_BUFFER = 5
    database = Database(monkeypatch)
    log = MessageLog()
    caplog.set_level(logging.WARNING, "stations.writers.message_log")
    add(log, station, *(f"f{n}" for n in range(8)))
    await log.flush()
    assert log.dropped == 3 and len(log.held) == 5
    assert "dropping the oldest" in caplog.text
    database.up()
    await until(lambda: _written(log))
    assert await stored_ids() == [f"f{n}" for n in range(3, 8)]
    assert "dropped 3" in caplog.text


async def test_a_write_that_fails_for_another_reason_is_not_held(station, monkeypatch, caplog):
    async def broken(rows):
        raise ValueError("not an outage")

    monkeypatch.setattr(log_module, "_insert", broken)
    log = MessageLog()
    add(log, station, "x1")
    await log.flush()
    assert not log.held and log.waiting == 0
    assert "Could not write 1 OCPP frames" in caplog.text
