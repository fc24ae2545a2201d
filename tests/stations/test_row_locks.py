"""Row locks that leave foreign keys alone (PostgreSQL).

A session start locks its station row. `FOR UPDATE` conflicts with the `FOR KEY SHARE`
lock PostgreSQL's foreign-key check takes, so every other transaction writing a row that
points at the station (the message log's batch, meter samples, status periods: many
stations' rows at once) waited for it; `FOR NO KEY UPDATE` serializes the same writers
without that. No service may take the stronger lock to change a row it keeps.
"""

import re
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stations.metering import Sample
from stations.models import OcppMessage
from stations.services.meter_values import MeterValuesIn, meter_values_record_many
from stations.services.sessions import session_start, session_stop
from stations.services.status import connector_status_update

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

STRONG_LOCK = re.compile(r"FOR UPDATE", re.IGNORECASE)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock strength is PostgreSQL's")


def test_the_charging_path_takes_no_key_locks_only(station, token):
    with CaptureQueriesContext(connection) as queries:
        connector_status_update(station_pk=station.pk, connector_id=1, status="Preparing")
        started = session_start(
            station_pk=station.pk,
            connector_id=1,
            id_tag=token.value,
            meter_start_wh=0,
            timestamp=timezone.now(),
        )
        connector_status_update(station_pk=station.pk, connector_id=1, status="Charging")
        reading = Sample(timezone.now(), "Energy.Active.Import.Register", Decimal(1500), "Wh")
        meter_values_record_many(
            messages=[
                MeterValuesIn(
                    station_pk=station.pk,
                    connector_id=1,
                    transaction_id=started.session.transaction_id,
                    samples=[reading],
                )
            ]
        )
        session_stop(
            station_pk=station.pk,
            transaction_id=started.session.transaction_id,
            meter_stop_wh=2000,
            timestamp=timezone.now(),
        )
    locking = [q["sql"] for q in queries.captured_queries if "FOR " in q["sql"].upper()]
    assert locking, "the path locks rows"
    assert [sql for sql in locking if STRONG_LOCK.search(sql)] == []


def test_a_session_start_does_not_hold_up_a_row_pointing_at_its_station(station, token):
    """While a session start's transaction is open, another connection's message-log
    row for that station commits at once."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():  # keeps session_start's own transaction open
            session_start(
                station_pk=station.pk,
                connector_id=1,
                id_tag=token.value,
                meter_start_wh=0,
                timestamp=timezone.now(),
            )
            held.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        with transaction.atomic():  # the foreign key is checked at commit: no wait
            OcppMessage.objects.create(
                station=station, direction="in", message_type=2, action="Heartbeat", payload="[]"
            )
    finally:
        release.set()
        holder.join()
