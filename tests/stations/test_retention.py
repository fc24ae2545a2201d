"""Retention: old meter samples rolled up per session and pruned in batches; the log too."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from chargenet.celery import app
from stations.metering import ENERGY_REGISTER, POWER
from stations.models import MeterSample, OcppMessage, SessionMeterSummary
from stations.services import retention
from stations.tasks import prune_message_log, prune_meter_samples
from tests.support.factories import ChargingSessionFactory, SessionChargeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
OLD = NOW - timedelta(days=100)  # past the 90-day default
RECENT = NOW - timedelta(days=10)


def a_session(station, *, ended=True, priced=True, ended_at=OLD + timedelta(hours=1), number=1):
    session = ChargingSessionFactory(
        station=station,
        connector=None,
        transaction_id=str(number),
        started_at=OLD,
        state="ended" if ended else "active",
        ended_at=ended_at if ended else None,
    )
    if priced:  # billing stored its price
        SessionChargeFactory(session=session, gross=D("1.00"), currency="EUR")
    return session


def sample(station, session, at, measurand, value, phase="", connector=1, unit=""):
    return MeterSample(
        station=station,
        connector_id=connector,
        session=session,
        timestamp=at,
        measurand=measurand,
        phase=phase,
        value=D(value),
        unit=unit,
    )


def charging_minutes(station, session, start: datetime, minutes: int, connector=1):
    """Per minute: energy +120 Wh from 10,000 Wh, power 7,000 W, current 16 A on L1."""
    rows = []
    for minute in range(minutes):
        at = start + timedelta(minutes=minute)
        rows += [
            sample(
                station, session, at, ENERGY_REGISTER, 10_000 + 120 * minute, connector=connector
            ),
            sample(station, session, at, POWER, 7000, connector=connector),
            sample(station, session, at, "Current.Import", 16, "L1", connector=connector),
        ]
    MeterSample.objects.bulk_create(rows)


def summary_of(session) -> dict:
    found = SessionMeterSummary.objects.get(session=session)
    return {k: v for k, v in model_to_dict(found).items() if k not in ("id", "updated_at")}


def test_the_roll_up_keeps_what_the_samples_said(station):
    session = a_session(station)
    t = [OLD + timedelta(minutes=m) for m in range(3)]
    MeterSample.objects.bulk_create(
        [
            sample(station, session, t[0], ENERGY_REGISTER, "10000"),
            sample(station, session, t[0], POWER, "7000"),
            sample(station, session, t[0], "Current.Import", "16", "L1"),
            sample(station, session, t[1], ENERGY_REGISTER, "10120.4"),
            sample(station, session, t[1], POWER, "7400"),
            sample(station, session, t[1], "Current.Import", "32.5", "L1"),
            sample(station, session, t[1], "Current.Import", "31", "L2"),
            sample(station, session, t[2], ENERGY_REGISTER, "10240.5"),
            sample(station, session, t[2], ENERGY_REGISTER, "90000", "L1"),  # a phase: not it
            sample(station, session, t[2], POWER, "6902"),
            sample(station, session, t[2], POWER, "9999", "L1"),  # a phase: not it
            sample(station, session, t[2], "Voltage", "230", "L1"),
        ]
    )

    assert retention.meter_samples_prune(now=NOW) == 12

    assert not MeterSample.objects.exists()
    assert summary_of(session) == {
        "session": session.pk,
        "sample_count": 12,
        "first_at": t[0],
        "last_at": t[2],
        "energy_first_wh": 10_000,
        "energy_last_wh": 10_241,  # 10,240.5 rounded half up
        "power_max_w": 7400,
        "power_avg_w": 7101,  # (7000 + 7400 + 6902) / 3 = 7100.67
        "power_samples": 3,
        "power_sum_w": D("21302"),
        "current_max_a": D("32.5"),
    }


def test_small_batches_remove_every_old_row_and_keep_the_rest(station):
    done = a_session(station, number=1)
    forgotten = a_session(station, priced=False, number=2)  # ended before the cutoff
    running = a_session(station, ended=False, number=3)
    unpriced = a_session(station, priced=False, ended_at=RECENT, number=4)  # pricing to come
    for number, session in enumerate([done, forgotten, running, unpriced], start=1):
        charging_minutes(station, session, OLD + timedelta(hours=number), 5, connector=number)
    charging_minutes(station, done, RECENT, 2)  # young samples of an old session stay
    MeterSample.objects.create(  # a reading of no session
        station=station, timestamp=OLD, measurand=ENERGY_REGISTER, value=D(5), connector_id=0
    )

    deleted = retention.meter_samples_prune(now=NOW, batch_size=4)

    assert deleted == 15 + 15 + 1
    kept = MeterSample.objects.all()
    assert set(kept.values_list("session_id", flat=True)) == {done.pk, running.pk, unpriced.pk}
    assert kept.filter(session=done).count() == 6 and not kept.filter(
        timestamp__lt=RECENT, session=done
    )
    assert kept.filter(session=running).count() == kept.filter(session=unpriced).count() == 15
    assert set(SessionMeterSummary.objects.values_list("session_id", flat=True)) == {
        done.pk,
        forgotten.pk,
    }
    assert summary_of(done)["sample_count"] == 15
    assert (summary_of(done)["energy_first_wh"], summary_of(done)["energy_last_wh"]) == (
        10_000,
        10_480,
    )


def test_running_twice_gives_the_same_summary(station):
    session = a_session(station)
    charging_minutes(station, session, OLD, 10)
    assert retention.meter_samples_prune(now=NOW, batch_size=7) == 30
    first = summary_of(session)

    assert retention.meter_samples_prune(now=NOW, batch_size=7) == 0
    assert summary_of(session) == first


def test_samples_pruned_in_two_runs_merge_into_the_summary_of_all(station):
    session = a_session(station, ended_at=NOW - timedelta(days=20))
    charging_minutes(station, session, OLD, 4)  # 10,000 ... 10,360 Wh
    later = OLD + timedelta(days=5)
    MeterSample.objects.bulk_create(
        [
            sample(station, session, later, ENERGY_REGISTER, "10500"),
            sample(station, session, later, POWER, "11000"),
            sample(station, session, later, "Current.Import", "40", "L1"),
        ]
    )
    # A shorter retention first takes only the older samples; the default the rest.
    assert retention.meter_samples_prune(now=NOW, older_than_days=97, batch_size=5) == 12
    assert summary_of(session)["sample_count"] == 12
    assert retention.meter_samples_prune(now=NOW, batch_size=5) == 3

    assert summary_of(session) == {
        "session": session.pk,
        "sample_count": 15,
        "first_at": OLD,
        "last_at": later,
        "energy_first_wh": 10_000,
        "energy_last_wh": 10_500,
        "power_max_w": 11_000,
        "power_avg_w": 7800,  # (4 x 7000 + 11000) / 5
        "power_samples": 5,
        "power_sum_w": D("39000"),
        "current_max_a": D("40"),
    }


def test_queries_per_batch_do_not_grow_with_the_batch(station):
    def queries_for(batch_size: int, sessions: int, minutes: int) -> int:
        for number in range(sessions):
            session = a_session(station, number=number + 1000 * batch_size)
            charging_minutes(station, session, OLD + timedelta(hours=number), minutes)
        with CaptureQueriesContext(connection) as captured:
            assert retention.meter_samples_prune(now=NOW, batch_size=batch_size) == 5 * batch_size
        return len(captured)

    # Five batches each: of one session's 3 samples, then of ten sessions' 300.
    assert queries_for(3, sessions=5, minutes=1) == queries_for(300, sessions=50, minutes=10)


def test_one_batch_costs_a_bounded_number_of_queries(station, django_assert_max_num_queries):
    for number in range(50):
        session = a_session(station, number=number)
        charging_minutes(station, session, OLD + timedelta(hours=number), 3)
    # ids, roll-up, summaries, insert, update, delete; transaction; then the empty look.
    with django_assert_max_num_queries(10):
        assert retention.meter_samples_prune(now=NOW, batch_size=5000) == 450


def test_the_message_log_is_pruned_in_batches_old_frames_only(station):
    for minute in range(7):
        OcppMessage.objects.create(
            station=station, direction="in", created_at=NOW - timedelta(days=31, minutes=minute)
        )
    young = [
        OcppMessage.objects.create(
            station=station, direction="in", created_at=NOW - timedelta(days=2)
        )
        for _ in range(3)
    ]
    with CaptureQueriesContext(connection) as captured:
        assert retention.message_log_prune(now=NOW, batch_size=3) == 7

    deletes = [q["sql"] for q in captured if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 3 + 3 + 1
    assert len(captured) == 7  # per batch: ids and delete; then the empty look
    assert set(OcppMessage.objects.values_list("pk", flat=True)) == {m.pk for m in young}


def test_bad_retention_or_batch_size_is_refused_and_deletes_nothing(station):
    charging_minutes(station, a_session(station), OLD, 2)
    with pytest.raises(ValueError, match="at least one day"):
        retention.meter_samples_prune(now=NOW, older_than_days=0)
    with pytest.raises(ValueError, match="batch size"):
        retention.meter_samples_prune(now=NOW, batch_size=0)
    with pytest.raises(ValueError, match="at least one day"):
        retention.message_log_prune(now=NOW, older_than_days=-1)
    assert MeterSample.objects.count() == 6 and not SessionMeterSummary.objects.exists()


def test_the_daily_task_prunes_with_the_configured_retention(station, settings, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.METER_SAMPLE_RETENTION_DAYS = 5
    session = a_session(station, ended_at=RECENT)
    charging_minutes(station, session, RECENT, 2)

    assert prune_meter_samples.delay().get(disable_sync_subtasks=False) == 6
    assert summary_of(session)["sample_count"] == 6
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {prune_meter_samples.name, prune_message_log.name} <= tasks
