"""Many rows in one statement, for the writes the OCPP hot path makes hundreds of a second."""

import hashlib
import logging
import weakref
from collections.abc import Callable

import psycopg
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Model

logger = logging.getLogger(__name__)

# Field types whose values the database layer must convert (the rest go as they are).
_PREPARED_TYPES = frozenset({"DateTimeField", "DecimalField", "JSONField"})


def rows_write(
    model: type[Model],
    names: list[str] | tuple[str, ...],
    rows: list,
    *,
    conflict_free: bool = False,
    update: bool = False,
) -> None:
    """Insert (or update) `rows` of `names`' values, bypassing the ORM's per-query work.

    Values are still prepared by their model fields, so they are stored exactly as
    the ORM would store them. `update`: the last name is the key, unique among the
    rows (`UPDATE ... WHERE key = ...`); `conflict_free`: rows that would break a
    unique constraint (replays) are skipped.
    """
    if not rows:
        return
    # The thread's connection itself, not the `connection` proxy: each of the fields'
    # lookups through the proxy cost more than the rest of preparing the value.
    db = connections[DEFAULT_DB_ALIAS]
    fields = [model._meta.get_field(name) for name in names]
    prepare = [field if field.get_internal_type() in _PREPARED_TYPES else None for field in fields]
    prepared = [
        [
            value if field is None else field.get_db_prep_save(value, db)
            for field, value in zip(prepare, row, strict=True)
        ]
        for row in rows
    ]
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(field.column) for field in fields]
    if db.vendor == "postgresql":
        if conflict_free and not update and db.in_atomic_block:
            _copy_skipping_conflicts(table, columns, prepared)
        elif conflict_free or update:
            _write_arrays(table, fields, columns, prepared, conflict_free, update)
        else:
            db.ensure_connection()
            with psycopg.Cursor(db.connection) as cursor:
                _copy(cursor, table, columns, prepared)
        return
    if update:
        assignments = ", ".join(f"{column} = %s" for column in columns[:-1])
        sql = f"UPDATE {table} SET {assignments} WHERE {columns[-1]} = %s"
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        if conflict_free:
            sql += " ON CONFLICT DO NOTHING"
    with db.cursor() as cursor:
        cursor.executemany(sql, prepared)


def rows_write_each(
    model: type[Model],
    names: list[str] | tuple[str, ...],
    rows: list,
    repair: Callable[[tuple], tuple] | None = None,
    **options,
) -> int:
    """`rows_write` in one transaction, or, if that fails, row by row; the rows lost.

    One row the database refuses (text it cannot encode, a value out of range) must
    not cost the batch: each row then gets its own savepoint, and a refused row is
    tried once more as `repair` makes it before it is given up. A database that cannot
    be reached (OperationalError) is raised instead: that is no row's fault.
    """
    try:
        with transaction.atomic():
            rows_write(model, names, rows, **options)
        return 0
    except OperationalError:
        raise  # the database is away: no row is at fault, the caller holds them all
    except (DatabaseError, ValueError) as error:  # UnicodeEncodeError is a ValueError
        name = model.__name__
        logger.warning("%d %s rows refused at once (%s): row by row", len(rows), name, error)
    lost = 0
    with transaction.atomic():
        for row in rows:
            attempts = [row] if repair is None else [row, repair(row)]
            for attempt in attempts:
                try:
                    with transaction.atomic():
                        rows_write(model, names, [attempt], **options)
                    break
                except OperationalError:
                    raise
                except (DatabaseError, ValueError):
                    continue
            else:
                lost += 1
                logger.error("%s row refused: %.300r", model.__name__, row)
    return lost


def _write_arrays(table, fields, columns, rows, conflict_free: bool, update: bool) -> None:
    """One statement over `unnest` of a column array each, sent in binary.

    A statement per row costs PostgreSQL its per-statement work hundreds of times a
    batch; Django's own bulk_create unnests too, but quotes every value into the
    statement text in Python.
    """
    arrays = [f"%s::{field.db_type(connection)}[]" for field in fields]
    source = f"unnest({', '.join(arrays)})"
    if update:
        assignments = ", ".join(f"{column} = v.{column}" for column in columns[:-1])
        sql = (
            f"UPDATE {table} SET {assignments} FROM {source} AS v({', '.join(columns)}) "
            f"WHERE {table}.{columns[-1]} = v.{columns[-1]}"
        )
    else:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM {source}"
        if conflict_free:
            sql += " ON CONFLICT DO NOTHING"
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)], binary=True)


def _copy(cursor: psycopg.Cursor, table: str, columns: list[str], rows: list) -> None:
    """Plain inserts by `COPY`: psycopg writes the rows in C, a tenth of the CPU of the
    `unnest` statement's arrays (the message log's 500 rows: 5 µs a row, not 65)."""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# Per database connection: the staging tables it has made (temporary tables live as
# long as their connection).
_staged: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


def _copy_skipping_conflicts(table: str, columns: list[str], rows: list) -> None:
    """Inserts that skip replays (`ON CONFLICT DO NOTHING`) at `COPY`'s cost: `COPY` has
    no `ON CONFLICT`, so the rows go by `COPY` into a temporary table of the
    connection's own, and one statement empties it into the table.

    Meter samples went by `unnest` arrays before, the dearest part of a MeterValues
    batch. Only inside a transaction: one that fails takes its staged rows with it,
    where in autocommit they would stay staged for the next batch.
    """
    connection.ensure_connection()
    raw = connection.connection
    staging = connection.ops.quote_name(
        "staging_" + hashlib.blake2s(f"{table}{columns}".encode(), digest_size=6).hexdigest()
    )
    names = ", ".join(columns)
    with psycopg.Cursor(raw) as cursor:
        made = _staged.setdefault(raw, set())
        if staging not in made:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS"
                f" SELECT {names} FROM {table} WITH NO DATA"
            )
            # Rolled back with its transaction: known made once that has committed.
            transaction.on_commit(lambda: made.add(staging))
        _copy(cursor, staging, columns, rows)
        cursor.execute(
            f"WITH staged AS (DELETE FROM {staging} RETURNING {names})"
            f" INSERT INTO {table} ({names}) SELECT {names} FROM staged ON CONFLICT DO NOTHING"
        )
