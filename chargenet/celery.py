"""The Celery application; tasks run eagerly in the embedded default."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargenet.settings")

app = Celery("chargenet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

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
    "billing-stop-expired-prepaid": {
        "task": "billing.tasks.stop_expired_prepaid_sessions",
        "schedule": 60.0,
    },
    # The 1st at 12:00 UTC: the month is over in every time zone (UTC-12 to UTC+14).
    "billing-issue-monthly-invoices": {
        "task": "billing.tasks.issue_monthly_invoices",
        "schedule": crontab(minute=0, hour=12, day_of_month=1),
    },
    "billing-monthly-report": {
        "task": "billing.tasks.request_monthly_report",
        "schedule": crontab(minute=30, hour=12, day_of_month=1),
    },
}
