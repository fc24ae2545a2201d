"""The embedded beat: the periodic tasks of chargenet/celery.py run inside `manage.py
serve` when there is no beat (Celery eager, no Redis), on a clock the tests set."""

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import crontab
from daphne.cli import CommandLineInterface
from django.core.management import call_command
from django.utils import timezone

from chargenet.celery import app, task
from runtime import scheduler
from runtime.scheduler import EmbeddedBeat, run_task
from stations.management.commands import serve
from stations.models import Reservation
from tests.support.factories import make_station

START = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now=START):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


SCHEDULE = {
    "every-minute": {"task": "demo.minute", "schedule": 60.0},
    "nightly": {"task": "demo.nightly", "schedule": crontab(minute=15, hour=3), "args": (7,)},
}


def beat(clock, run=lambda name, args, kwargs: None):
    return EmbeddedBeat(SCHEDULE, now=clock, run=run, threads=1)


def names(entries):
    return [entry.name for entry in entries]


def test_interval_and_crontab_entries_fall_due_as_beat_says():
    clock = Clock()
    schedule = beat(clock)
    due, wait = schedule.due()
    assert due == [] and 0 < wait <= 60  # like beat: one interval after the start
    clock.advance(seconds=61)
    due, _ = schedule.due()
    assert names(due) == ["every-minute"]
    assert names(schedule.due()[0]) == []  # ran: not due again at once
    clock.advance(minutes=14)  # 03:15:01
    due, _ = schedule.due()
    assert names(due) == ["every-minute", "nightly"] and due[1].args == (7,)
    clock.advance(hours=1)
    assert names(schedule.due()[0]) == ["every-minute"]  # the crontab waits for tomorrow
    clock.advance(days=1)
    assert names(schedule.due()[0]) == ["every-minute", "nightly"]


def test_the_shared_crontab_keeps_its_own_clock():
    beat(Clock())
    assert SCHEDULE["nightly"]["schedule"].nowfun is None  # entries copy the schedule


async def test_due_tasks_run_in_worker_threads_and_a_failure_stops_nothing(caplog):
    clock, ran = Clock(), []
    loop_thread = threading.current_thread()

    def run(name, args, kwargs):
        ran.append((name, threading.current_thread() is not loop_thread))
        if name == "demo.minute":
            raise RuntimeError("boom")

    schedule = beat(clock, run)
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)
        await asyncio.sleep(0.05)  # the worker thread runs the due tasks meanwhile
        if len(sleeps) == 4:
            raise asyncio.CancelledError
        clock.advance(minutes=10)  # 03:10, 03:20 (nightly due), 03:30

    with (
        caplog.at_level(logging.ERROR, logger="runtime.scheduler"),
        pytest.raises(asyncio.CancelledError),
    ):
        await schedule.forever(sleep=sleep)
    assert ("demo.nightly", True) in ran
    assert ran.count(("demo.minute", True)) == 3  # failed every time, ran every time
    assert "demo.minute" in caplog.text and "boom" in caplog.text
    assert all(0.5 <= seconds <= scheduler.MAX_SLEEP for seconds in sleeps)


async def test_a_task_still_running_when_due_again_is_skipped(caplog):
    clock, release, calls = Clock(), threading.Event(), []

    def run(name, args, kwargs):
        calls.append(name)
        release.wait(5)

    schedule = beat(clock, run)
    clock.advance(seconds=61)
    (entry,) = schedule.due()[0]
    running = asyncio.ensure_future(schedule.run_entry(entry))
    await asyncio.sleep(0.05)
    clock.advance(seconds=61)
    with caplog.at_level(logging.WARNING, logger="runtime.scheduler"):
        assert schedule.due()[0] == []
    assert "still runs" in caplog.text
    release.set()
    await running
    clock.advance(seconds=61)
    assert names(schedule.due()[0]) == ["every-minute"] and calls == ["demo.minute"]


def test_every_periodic_task_of_the_cluster_is_in_the_embedded_beat():
    schedule = EmbeddedBeat(app.conf.beat_schedule, now=Clock(), run=run_task)
    tasks = {entry.task for entry in schedule.entries}
    assert {
        "stations.tasks.reconcile_stuck_sessions",
        "stations.tasks.expire_reservations",
        "stations.tasks.sync_local_lists",
        "billing.tasks.stop_expired_prepaid_sessions",
        "billing.tasks.issue_monthly_invoices",
    } <= tasks
    for name in tasks:
        assert task(name).name == name  # each found in Celery's registry


@pytest.mark.django_db
def test_run_task_runs_the_registered_task_here(eager_tasks):
    station = make_station()
    reservation = Reservation.objects.create(
        station=station, id_tag="T", expires_at=timezone.now() - timedelta(minutes=1)
    )
    run_task("stations.tasks.expire_reservations", (), {})
    reservation.refresh_from_db()
    assert reservation.status == "expired"


# --- who starts it -----------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch):
    """`manage.py serve` up to daphne's start: the loops the embedded beat was given."""
    started = []
    monkeypatch.setattr(CommandLineInterface, "run", lambda self, argv: None)
    monkeypatch.setattr(serve, "embedded_beat_start", started.append)
    return started


@pytest.mark.django_db
def test_serve_starts_the_embedded_beat_when_celery_is_eager(served, settings, eager_tasks):
    settings.EMBEDDED_BEAT, settings.REDIS_URL = True, None
    call_command("serve")
    assert served == [serve.server_loop()]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "eager"),
    [({"REDIS_URL": "redis://127.0.0.1:6379/0"}, True), ({}, False), ({"EMBEDDED_BEAT": 0}, True)],
    ids=["redis", "celery-worker", "switched-off"],
)
def test_serve_leaves_the_schedule_to_beat_otherwise(served, settings, monkeypatch, change, eager):
    settings.EMBEDDED_BEAT, settings.REDIS_URL = True, None
    for name, value in change.items():
        setattr(settings, name, value)
    monkeypatch.setitem(app.conf, "task_always_eager", eager)
    call_command("serve")
    assert served == []


def test_the_tests_servers_run_no_schedule(settings):
    assert settings.EMBEDDED_BEAT is False  # tests/settings.py: live daphnes stay quiet
