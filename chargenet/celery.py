"""The Celery application; tasks run eagerly in the embedded default."""

import os

from celery import Celery

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
}
