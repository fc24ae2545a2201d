"""Batched inserts that skip replays: on PostgreSQL by `COPY` through a staging table of
the connection's own (stations/writers/bulk.py), as the `INSERT ... ON CONFLICT DO
NOTHING` they replace; on SQLite by that statement."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from stations.models import MeterSample
from stations.writers.bulk import rows_write

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

NAMES = ("station", "connector_id", "timestamp", "measurand", "phase", "location", "context")
NAMES += ("value", "unit")
REGISTER = ("Energy.Active.Import.Register", "", "", "")


def samples(station, *values, second=0):
    at = timezone.now().replace(microsecond=0, second=second)
    return [(station.pk, 1, at, *REGISTER, v, "Wh") for v in values]


def stored():
    return sorted(MeterSample.objects.values_list("value", flat=True))


def test_replayed_rows_are_skipped_and_new_ones_kept(station):
    first = samples(station, 100)
    with transaction.atomic():
        rows_write(MeterSample, NAMES, first, conflict_free=True)
    with transaction.atomic():  # the same reading again, beside a new one
        rows_write(MeterSample, NAMES, first, conflict_free=True)
        rows_write(MeterSample, NAMES, samples(station, 150, second=1), conflict_free=True)
    assert len(stored()) == 2
    rows_write(MeterSample, NAMES, first, conflict_free=True)  # autocommit too
    assert len(stored()) == 2


def test_a_rolled_back_batch_leaves_nothing_staged_and_the_next_one_writes(station):
    with pytest.raises(RuntimeError), transaction.atomic():
        rows_write(MeterSample, NAMES, samples(station, 100), conflict_free=True)
        raise RuntimeError  # the staging table made in it is gone with it
    assert stored() == []
    with transaction.atomic():
        rows_write(MeterSample, NAMES, samples(station, 200), conflict_free=True)
    assert len(stored()) == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # emptied by the statement that moved them
            cursor.execute(
                "SELECT relname FROM pg_class WHERE relname LIKE 'staging_%%'"
                " AND relpersistence = 't' AND pg_table_is_visible(oid)"
            )
            staging = [name for (name,) in cursor.fetchall()]
            assert staging
            for name in staging:
                cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")
                assert cursor.fetchone()[0] == 0
