"""Housekeeping: the hourly prune keeps recent OCPP frames and deletes old ones."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chargenet.celery import app
from stations.models import OcppMessage
from stations.tasks import prune_message_log
from tests.support.factories import OcppMessageFactory, make_station

pytestmark = pytest.mark.django_db


def log_frame(station, age: timedelta, unique_id: str) -> OcppMessage:
    """A Heartbeat the station sent `age` ago."""
    return OcppMessageFactory(station=station, unique_id=unique_id, created_at=timezone.now() - age)


def test_prune_deletes_only_frames_past_retention(settings):
    settings.OCPP_MESSAGE_RETENTION_DAYS = 30
    station = make_station()
    for n in range(3):
        log_frame(station, timedelta(days=31 + n), f"old-{n}")
    log_frame(station, timedelta(days=29), "recent-1")
    log_frame(station, timedelta(minutes=1), "recent-2")

    deleted = prune_message_log.delay().get(disable_sync_subtasks=False)

    assert deleted == 3
    assert sorted(OcppMessage.objects.values_list("unique_id", flat=True)) == [
        "recent-1",
        "recent-2",
    ]


def test_prune_with_nothing_to_delete_returns_zero(settings):
    settings.OCPP_MESSAGE_RETENTION_DAYS = 7
    log_frame(make_station(), timedelta(days=6), "recent")

    assert prune_message_log.delay().get(disable_sync_subtasks=False) == 0
    assert OcppMessage.objects.count() == 1


def test_beat_schedule_names_the_registered_task():
    scheduled = app.conf.beat_schedule["prune-ocpp-message-log"]["task"]

    assert scheduled == prune_message_log.name
    assert scheduled in app.tasks


def test_prune_task_has_a_time_limit():
    assert prune_message_log.time_limit
    assert prune_message_log.soft_time_limit < prune_message_log.time_limit
