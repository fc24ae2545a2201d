"""This server process's presence: its lease renewed, dead processes' stations let go.

Every third of OCPP_PING_INTERVAL the process renews its lease (valid for one ping
interval) and sweeps: stations held by a process whose lease has expired are marked
offline (stations/services/connections.py). A process killed with `kill -9` thus
shows its stations offline within 1⅓ ping intervals in the API, the pages and to
commands, the same bound as a station that stops answering pings.

The rounds run on the server's event loop (a loop that no longer turns stops
renewing: its stations are not served either) and do their database work on a
thread of their own, so a thread pool busy with a reconnect storm does not delay a
renewal. A process that could not reach the database does not sweep until it has
renewed for one lease time: after an outage every process renews before anyone
judges the others' leases.
"""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from stations import events
from stations.services import connections

logger = logging.getLogger(__name__)

_executor = ThreadPoolExecutor(1, thread_name_prefix="presence")
_started: list = []  # the running loop task, kept from the garbage collector


def presence_timing() -> tuple[float, float]:
    """(seconds between rounds, seconds a lease lasts) from OCPP_PING_INTERVAL."""
    ping = float(settings.OCPP_PING_INTERVAL)
    return ping / 3, ping


def presence_round(ttl: float, sweep: bool) -> list[int]:
    """Renew the lease and, if `sweep`, let go of dead processes' stations."""
    close_old_connections()
    try:
        connections.lease_renew(ttl=ttl)
        swept = connections.stations_sweep() if sweep else []
    finally:
        close_old_connections()
    if swept:
        logger.warning(
            "%d station(s) marked offline: their server process stopped renewing its lease",
            len(swept),
        )
    return swept


def presence_begin() -> list[int]:
    """At start-up, before any socket: take the lease and let go of every station a
    dead process (or none at all) left marked connected.

    A database that does not answer yet does not stop the server: its first round
    takes the lease then.
    """
    _, ttl = presence_timing()
    try:
        connections.lease_renew(ttl=ttl)
        swept = connections.stations_sweep(unleased=True)
    except Exception:  # noqa: BLE001 - see above
        logger.warning("Could not take this process's lease at start-up", exc_info=True)
        return []
    if swept:
        logger.info("%d station(s) left connected by stopped processes marked offline", len(swept))
    return swept


class Presence:
    def __init__(self, period: float, ttl: float):
        self.period, self.ttl = period, ttl
        self.failed_at: float | None = None  # monotonic time of the last failed round

    async def forever(self) -> None:
        events.bind_loop(asyncio.get_running_loop())
        while True:
            await asyncio.sleep(self.period)
            await self.round()

    async def round(self) -> None:
        sweep = self.failed_at is None or time.monotonic() - self.failed_at > self.ttl
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(_executor, presence_round, self.ttl, sweep)
        except Exception:  # noqa: BLE001 - the next round tries again
            self.failed_at = time.monotonic()
            logger.warning("Could not renew this process's lease", exc_info=True)


def presence_start(loop: asyncio.AbstractEventLoop) -> Presence:
    """Renew this process's lease on `loop` (the server's) from now on."""
    presence = Presence(*presence_timing())
    _started.append(loop.create_task(presence.forever()))
    return presence
