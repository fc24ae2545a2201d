"""The pricing sweep: ended sessions whose queued pricing was lost are priced later.

Nothing depends on a queued task surviving: a broker that is down when a session
ends (Redis restarting) is logged, the stop stands, and `price_unpriced_sessions`
(Celery beat, and the embedded beat) prices the session within minutes, once.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from billing import services
from billing.models import SessionCharge
from billing.tasks import price_session, price_unpriced_sessions
from chargenet.celery import app
from stations.models import ChargingSession
from tests.support.billing import assign, car_readings, car_tariff, charge_of, network, session

pytestmark = pytest.mark.django_db


def priced_network():
    _, car, _ = network()
    assign(car_tariff(), station=car)
    return car


def test_the_sweep_prices_ended_unpriced_sessions_once_and_leaves_the_rest():
    car = priced_network()
    now = timezone.now()
    lost = session(car, now - timedelta(hours=4), 180, 18_500, readings=car_readings())
    just_ended = session(car, now - timedelta(minutes=31), 30, 1_000, connector=2)
    running = session(car, now - timedelta(minutes=10), 0, 0, ended=False)
    long_ago = session(car, now - timedelta(days=30), 60, 5_000)

    assert services.sessions_unpriced(now=now) == [lost.pk]
    assert price_unpriced_sessions() == 1
    assert charge_of(lost) is not None
    assert charge_of(just_ended) is None  # its own queued task prices it
    assert charge_of(running) is None and charge_of(long_ago) is None
    # Again: nothing left to do, nothing priced twice.
    assert price_unpriced_sessions() == 0
    assert SessionCharge.objects.count() == 1
    # Later, the session that just ended is the sweep's too if its task was lost.
    assert services.sessions_unpriced(now=now + timedelta(minutes=5)) == [just_ended.pk]


def test_a_session_no_tariff_covers_stays_unpriced_without_failing_the_sweep():
    _, car, _ = network()
    session(car, timezone.now() - timedelta(hours=1), 30, 2_000)
    assert price_unpriced_sessions() == 0


def test_a_broker_that_is_down_when_a_session_ends_fails_nothing_and_the_sweep_prices_it(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    car = priced_network()
    ended = session(car, timezone.now() - timedelta(hours=2), 60, 7_000)

    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(price_session, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_price_later(session_pk=ended.pk)  # must not raise
    assert "could not be queued" in caplog.text
    assert ChargingSession.objects.get(pk=ended.pk).state == ChargingSession.State.ENDED
    assert charge_of(ended) is None
    monkeypatch.undo()
    assert price_unpriced_sessions() == 1
    assert charge_of(ended) is not None


def test_every_sweep_is_on_the_beat_schedule_that_beat_and_the_embedded_beat_run():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "billing.tasks.price_unpriced_sessions",
        "stations.tasks.expire_reservations",
        "billing.tasks.stop_expired_prepaid_sessions",
        "stations.tasks.sync_local_lists",
        "stations.tasks.reconcile_stuck_sessions",
    } <= tasks
