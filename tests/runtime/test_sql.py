"""Plain SQL (runtime/sql.py): on PostgreSQL through a psycopg cursor kept with the
thread's connection, behaving as Django's cursor does."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from runtime import sql
from stations.models import ChargingStation
from tests.support.factories import make_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

STATUS = "SELECT status FROM {} WHERE id = %s"


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the kept cursor is PostgreSQL's")


def test_a_statement_reads_and_writes_as_the_orm_does():
    station = make_station()
    table = sql.table(ChargingStation)

    changed = sql.execute(f"UPDATE {table} SET status = %s WHERE id = %s", ["Faulted", station.pk])

    assert changed == 1
    assert sql.fetch_one(STATUS.format(table), [station.pk]) == ("Faulted",)
    assert sql.fetch_one(STATUS.format(table), [station.pk + 1000]) is None
    station.refresh_from_db()
    assert station.status == "Faulted"


def test_statements_share_one_cursor_until_the_connection_changes(postgresql):
    station = make_station()
    table = sql.table(ChargingStation)
    sql.fetch_one(STATUS.format(table), [station.pk])
    kept = connection._kept_cursors
    sql.fetch_one(STATUS.format(table), [station.pk])
    assert connection._kept_cursors is kept

    connection.close()

    assert sql.fetch_one(STATUS.format(table), [station.pk]) == ("",)
    assert connection._kept_cursors.prepared is not kept.prepared


def test_a_statement_is_prepared_once_per_connection(postgresql):
    station = make_station()
    statement = STATUS.format(sql.table(ChargingStation))
    for _ in range(3):
        assert sql.fetch_one(statement, [station.pk]) == ("",)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = %s",
            [statement.replace("%s", "$1")],
        )
        assert cursor.fetchone() == (1,)


def test_nothing_is_prepared_where_a_pooler_cannot_keep_it(postgresql, settings):
    settings.DATABASE_PREPARED = False
    connection.close()  # kept cursors are made with the next connection
    station = make_station()
    assert sql.fetch_one(STATUS.format(sql.table(ChargingStation)), [station.pk]) == ("",)
    assert connection._kept_cursors.prepared is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)


def test_a_failing_statement_raises_djangos_error(postgresql):
    first, second = make_station("CP-1"), make_station("CP-2")
    table = sql.table(ChargingStation)

    with pytest.raises(IntegrityError):
        sql.execute(f"UPDATE {table} SET station_id = %s WHERE id = %s", ["CP-1", second.pk])

    assert sql.fetch_one(f"SELECT station_id FROM {table} WHERE id = %s", [first.pk]) == ("CP-1",)


def test_a_broken_transaction_refuses_further_statements(postgresql):
    station = make_station()
    table = sql.table(ChargingStation)
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False):
            sql.execute(f"UPDATE {table} SET station_id = NULL WHERE id = %s", [station.pk])
        with pytest.raises(TransactionManagementError):
            sql.fetch_one(STATUS.format(table), [station.pk])


def test_statements_are_seen_where_django_counts_them(postgresql):
    station = make_station()
    with CaptureQueriesContext(connection) as queries:
        sql.fetch_one(STATUS.format(sql.table(ChargingStation)), [station.pk])
    assert len(queries) == 1


def test_a_connection_shared_between_threads_gets_a_cursor_per_statement(postgresql):
    """Threads taking turns on one connection must not read each other's rows."""
    station = make_station()
    connection.inc_thread_sharing()
    try:
        assert sql._kept_cursors(connection) is None
        assert sql.fetch_one(STATUS.format(sql.table(ChargingStation)), [station.pk]) == ("",)
    finally:
        connection.dec_thread_sharing()
    assert sql._kept_cursors(connection) is not None


def test_statements_together_say_what_each_did():
    first, second = make_station("CP-1"), make_station("CP-2")
    table = sql.table(ChargingStation)

    done = sql.together(
        [
            (
                f"UPDATE {table} SET status = %s WHERE id IN (%s, %s)",
                ["Faulted", first.pk, second.pk],
            ),
            (f"UPDATE {table} SET status = %s WHERE id = %s", ["Faulted", second.pk + 1000]),
            (f"UPDATE {table} SET error_code = %s WHERE id = %s RETURNING id", ["X", first.pk]),
        ]
    )

    assert done == [sql.Done(2, None), sql.Done(0, None), sql.Done(1, (first.pk,))]
    assert set(ChargingStation.objects.values_list("status", "error_code")) == {
        ("Faulted", "X"),
        ("Faulted", ""),
    }


def test_statements_together_are_one_round_trip_and_all_or_nothing(postgresql):
    first, second = make_station("CP-1"), make_station("CP-2")
    table = sql.table(ChargingStation)
    statements = [
        (f"UPDATE {table} SET status = %s WHERE id = %s", ["Faulted", first.pk]),
        (f"UPDATE {table} SET station_id = %s WHERE id = %s", ["CP-1", second.pk]),  # taken
    ]
    with CaptureQueriesContext(connection) as sent, pytest.raises(IntegrityError):
        sql.together(statements)

    assert len(sent) == 1
    assert ChargingStation.objects.get(pk=first.pk).status == ""  # the first went back too
    assert sql.together(statements[:1]) == [sql.Done(1, None)]  # and the connection works
