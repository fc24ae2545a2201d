"""The beat schedule run inside the server, for the embedded mode.

A cluster runs one `celery beat` process that queues the periodic tasks of
chargenet/celery.py (reconciliation of stuck sessions, reservation expiry, prepaid
stops, local-list sync, invoices, pruning). The embedded mode (`make run`: no Redis,
Celery eager) has no beat and no worker, so `manage.py serve` runs the same schedule
itself: a loop on the server's event loop asks each entry's Celery schedule whether it
is due (`is_due`, the same maths beat does) and runs a due task in a worker thread, so
the event loop never waits for it. A task still running when it is due again is
skipped that time; a failing task is logged and the loop goes on.

Like beat without its schedule file, an interval task first runs one interval after
the start and a crontab at its next moment.
"""

import asyncio
import copy
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from asgiref.sync import SyncToAsync
from celery.schedules import maybe_schedule
from django.conf import settings
from django.db import close_old_connections

from chargenet.celery import app, task

logger = logging.getLogger(__name__)

MAX_SLEEP = 30.0  # seconds between looks at the schedule, at most (clock changes)
_started: list = []  # the running loop task, kept from the garbage collector


@dataclass
class Entry:
    name: str
    task: str
    schedule: object  # a celery.schedules schedule or crontab
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    last_run_at: datetime | None = None
    running: bool = False


def embedded_beat_enabled() -> bool:
    """Run the schedule in this server: Celery eager, no broker, not switched off.

    With a broker a real beat may run, and without eager Celery a worker would take the
    tasks; the tests' settings switch it off (EMBEDDED_BEAT) for their live servers.
    """
    eager = app.conf.task_always_eager
    return bool(settings.EMBEDDED_BEAT and eager and not settings.REDIS_URL)


class EmbeddedBeat:
    """The entries of a beat schedule, their last runs, and what is due now.

    `now` returns the aware current time (Celery's `app.now` by default); `run(name,
    args, kwargs)` runs one task synchronously (by default from Celery's registry).
    """

    def __init__(
        self,
        beat_schedule: dict,
        *,
        now: Callable[[], datetime],
        run: Callable[[str, tuple, dict], object],
        threads: int = 2,
    ):
        self.now, self.run = now, run
        self.entries = [self._entry(name, spec) for name, spec in beat_schedule.items()]
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="beat")

    def _entry(self, name: str, spec: dict) -> Entry:
        schedule = copy.copy(maybe_schedule(spec["schedule"]))
        schedule.nowfun = self.now  # the time the schedule reckons with is ours
        return Entry(
            name,
            spec["task"],
            schedule,
            tuple(spec.get("args") or ()),
            dict(spec.get("kwargs") or {}),
            last_run_at=self.now(),
        )

    def due(self) -> tuple[list[Entry], float]:
        """The entries due now (marked as run now), and seconds until the next look."""
        due, wait = [], MAX_SLEEP
        for entry in self.entries:
            is_due, next_check = entry.schedule.is_due(entry.last_run_at)
            if is_due:
                entry.last_run_at = self.now()
                if entry.running:
                    logger.warning("Periodic task %s still runs; skipped this time", entry.name)
                else:
                    due.append(entry)
            wait = min(wait, max(float(next_check), 0.0))
        return due, wait

    async def run_entry(self, entry: Entry) -> None:
        """Run one entry's task in a worker thread; a failure is logged, never raised."""
        entry.running = True
        try:
            # A worker thread of this loop (not a fresh loop): a task that sends a
            # command reaches the station sockets of this very event loop.
            call = SyncToAsync(self._call, thread_sensitive=False, executor=self.executor)
            await call(entry)
        except Exception:  # noqa: BLE001 - one task's failure must not stop the schedule
            logger.exception("Periodic task %s (%s) failed", entry.name, entry.task)
        finally:
            entry.running = False

    def _call(self, entry: Entry) -> None:
        close_old_connections()
        try:
            self.run(entry.task, entry.args, entry.kwargs)
        finally:
            close_old_connections()

    async def forever(self, sleep=asyncio.sleep) -> None:
        running = set()
        while True:
            due, wait = self.due()
            for entry in due:
                task = asyncio.ensure_future(self.run_entry(entry))
                running.add(task)
                task.add_done_callback(running.discard)
            await sleep(max(wait, 0.5))


def run_task(name: str, args: tuple, kwargs: dict) -> None:
    """Run the registered Celery task `name` here and now (as eager Celery would)."""
    task(name).apply(args=args, kwargs=kwargs, throw=True)


def embedded_beat_start(loop: asyncio.AbstractEventLoop) -> EmbeddedBeat:
    """Run chargenet/celery.py's beat schedule on `loop` (the server's) from now on."""
    beat = EmbeddedBeat(app.conf.beat_schedule, now=app.now, run=run_task)
    _started.append(loop.create_task(beat.forever()))
    logger.info("Embedded beat: %d periodic tasks run in this process", len(beat.entries))
    return beat
