"""The Celery application; tasks run eagerly in the embedded default.

Code that queues a task looks it up by name (`task`, `enqueue_on_commit`) instead of
importing its module: a tasks module imports the services its tasks call, so a
service that queues one of them would import itself in a circle.
"""

import logging
import os
from collections.abc import Mapping

from asgiref.sync import SyncToAsync, sync_to_async
from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargenet.settings")


class CelerySettings(Mapping):
    """The CELERY_* Django settings under Celery's own lowercase names, read once.

    Not `config_from_object(settings, namespace="CELERY")`: with a namespace, Celery
    5.6 looks up the prefixed name first, so a changed `app.conf["task_always_eager"]`
    (the tests' eager switch) would never be seen.
    """

    PREFIX = "CELERY_"

    def __init__(self) -> None:
        self._values: dict | None = None

    def _all(self) -> dict:
        if self._values is None:
            self._values = {
                name.removeprefix(self.PREFIX).lower(): getattr(settings, name)
                for name in dir(settings)
                if name.startswith(self.PREFIX)
            }
        return self._values

    def __getitem__(self, key: str):
        return self._all()[key]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


app = Celery("chargenet")
app.config_from_object(CelerySettings())
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# The beat schedule lives in code, next to the tasks it runs.
app.conf.beat_schedule = {
    "prune-ocpp-message-log": {
        "task": "stations.tasks.prune_message_log",
        "schedule": 3600.0,
    },
    # Sessions a station dropped (reboot, connector Available) close after the grace.
    "reconcile-stuck-sessions": {
        "task": "stations.tasks.reconcile_stuck_sessions",
        "schedule": 60.0,
    },
    # 03:15 UTC, out of the evening peak; batches of short transactions.
    "prune-meter-samples": {
        "task": "stations.tasks.prune_meter_samples",
        "schedule": crontab(minute=15, hour=3),
    },
    "expire-reservations": {
        "task": "stations.tasks.expire_reservations",
        "schedule": 60.0,
    },
    # Token changes reach stations' local lists within five minutes.
    "sync-local-lists": {
        "task": "stations.tasks.sync_local_lists",
        "schedule": 300.0,
    },
    # A prepaid e-bike block that ran out stops its session within a minute.
    # Sessions whose pricing could not be queued (the broker was down) or was lost
    # with it: priced within minutes; nothing depends on a queued task surviving.
    "billing-price-unpriced-sessions": {
        "task": "billing.tasks.price_unpriced_sessions",
        "schedule": 300.0,
    },
    # Webhook attempts whose queued task was lost with the broker.
    "deliver-overdue-webhooks": {
        "task": "webhooks.tasks.deliver_overdue_webhooks",
        "schedule": 60.0,
    },
    "billing-stop-expired-prepaid": {
        "task": "billing.tasks.stop_expired_prepaid_sessions",
        "schedule": 60.0,
    },
    # The 1st at 12:00 UTC: the month is over in every time zone (UTC-12 to UTC+14).
    "billing-issue-monthly-invoices": {
        "task": "billing.tasks.issue_monthly_invoices",
        "schedule": crontab(minute=0, hour=12, day_of_month=1),
    },
    # The gaps between its runs are the time ChargeNet itself was down.
    "reliability-record-central-alive": {
        "task": "reliability.tasks.record_central_alive",
        "schedule": 60.0,
    },
    "reliability-raise-offline-alarms": {
        "task": "reliability.tasks.raise_offline_alarms",
        "schedule": 60.0,
    },
    "reliability-monthly-report": {
        "task": "reliability.tasks.request_monthly_report",
        "schedule": crontab(minute=45, hour=12, day_of_month=1),
    },
    # OCPI pushes a party missed (it was down) go out again, in order.
    "ocpi-push-due": {
        "task": "ocpi.tasks.push_due",
        "schedule": 60.0,
    },
    "billing-monthly-report": {
        "task": "billing.tasks.request_monthly_report",
        "schedule": crontab(minute=30, hour=12, day_of_month=1),
    },
}


@app.on_after_configure.connect
def _scheduled_by_settings(sender, **kwargs) -> None:
    """Entries whose interval is a setting: read once the settings are loaded."""
    # 2.x stations charging under a tariff show the running cost; 0 s: never.
    if settings.OCPP_COST_UPDATE_INTERVAL > 0:
        sender.conf.beat_schedule["billing-send-cost-updates"] = {
            "task": "billing.tasks.send_cost_updates",
            "schedule": float(settings.OCPP_COST_UPDATE_INTERVAL),
        }


def task(name: str):
    """The task registered as `name` ("app.tasks.function").

    A process that never imported the task's module (a web server) loads every app's
    tasks module first, as a worker does (Celery's autodiscovery).
    """
    if name not in app.tasks:
        app.autodiscover_tasks(force=True)
    return app.tasks[name]


def enqueue_on_commit(name: str, *args) -> None:
    """Queue task `name` with `args` once the current transaction commits (best effort).

    For tasks that talk to stations: after the caller's transaction commits, and never
    inside an OCPP message's handling. In the embedded default Celery runs tasks
    eagerly, in the caller's thread; there the task is handed to a worker thread of the
    running event loop instead, because the caller may be the very socket the task will
    send a command to (stations/commands/service.py waits for that socket's answer).
    """
    job = task(name)
    transaction.on_commit(lambda: _enqueue(job, args))


def delay_on_commit(name: str, *args) -> None:
    """Queue task `name` once the current transaction commits, in the committing thread.

    What the transaction stored stands whatever happens here: a broker that is down
    (Redis restarting) is logged and the work is left to the periodic sweeps that
    find it (billing.tasks.price_unpriced_sessions for prices). Eagerly (the embedded
    default) the task runs right there, as `.delay` would.
    """
    job = task(name)
    transaction.on_commit(lambda: _delay(job, args))


def _delay(job, args: tuple) -> None:
    # The caller's work is committed: a broker that is down, or an eager task that
    # fails, must not fail it.
    try:
        job.delay(*args)
    except Exception:  # noqa: BLE001
        logger.exception("Task %s%r could not be queued or failed", job.name, args)


def _enqueue(job, args: tuple) -> None:
    if not job.app.conf.task_always_eager:
        _delay(job, args)
        return
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    owner = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    if loop is None or owner != os.getpid() or not loop.is_running():
        _delay(job, args)  # plain synchronous code (a script, a test): run it here
        return
    # Called from a thread an event loop is waiting on: run the task in another thread
    # of that loop, without waiting for it.
    loop.call_soon_threadsafe(
        lambda: loop.create_task(sync_to_async(_delay, thread_sensitive=False)(job, args))
    )
