"""Plain SQL for the few statements every handshake and boot runs.

A reconnect storm runs them thousands of times a second, and building a statement
through the ORM costs three to six times the CPU of sending it (about 300-550 µs
against 80-120 µs on the reference machine). Elsewhere the ORM is the rule.

Statements name tables and columns as the models do (`table(Model)`) and take
parameters the way Django's cursor does (`%s`), so they run on PostgreSQL and SQLite
alike; datetimes go through `moment()` to be stored as the ORM stores them, and
`aware()` to be read as it reads them.

On PostgreSQL a statement runs on a psycopg cursor kept with the thread's connection,
with Django's checks and error classes: making Django's cursor anew for each statement
cost a third of it (about 150 against 110 µs of CPU). That cursor binds parameters on
the server and prepares each statement once per connection (DATABASE_PREPARED), so
PostgreSQL parses and plans it once; statements sent together (`together`) go through
a second, client-side one. Where Django would log or wrap statements (DEBUG, tests
counting queries, execute wrappers), or on SQLite, its cursor is used.
"""

import functools
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction


@functools.cache  # a process has one database; every statement names a table or two
def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def moment(value: datetime) -> Any:
    """A datetime as the database's column stores it (SQLite has no timestamp type)."""
    return connection.ops.adapt_datetimefield_value(value)


def aware(value: Any) -> datetime | None:
    """A datetime column read in plain SQL as the ORM reads it: aware (SQLite's are not)."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    return connection.ops.convert_datetimefield_value(value, None, connection)


def row_lock() -> str:
    """What ends a SELECT that locks its rows as services lock them (`FOR NO KEY UPDATE`:
    foreign keys to them stay free); nothing where the database has no row locks."""
    return " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else ""


def execute(sql: str, params: list) -> int:
    """Run a statement; how many rows it changed."""
    return _run(sql, params, _ROWCOUNT)


def fetch_one(sql: str, params: list) -> tuple | None:
    """The first row a statement returns, or None."""
    return _run(sql, params, _FIRST_ROW)


class Done(NamedTuple):
    """What one statement of `together` did."""

    rowcount: int
    row: tuple | None  # its first row, where it returns rows


def together(statements: list[tuple[str, list]]) -> list[Done]:
    """Run statements that stand on their own as one transaction (or in the caller's),
    in one round trip where the database allows: PostgreSQL takes them as one query
    string; SQLite one after the other. What each did.

    A round trip costs the server about as much CPU as a statement's Python does, and
    PostgreSQL more: a reconnect storm runs each handshake's few statements thousands
    of times a second.
    """
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with transaction.atomic(using=db.alias):
            return [_run(statement, params, _done) for statement, params in statements]
    text = "; ".join(statement for statement, _ in statements)
    params = [value for _, theirs in statements for value in theirs]
    return _run(text, params, _all_done, prepared=False)  # several at once: not preparable


def _done(cursor) -> Done:
    row = cursor.fetchone() if cursor.description else None
    return Done(cursor.rowcount, row)  # SQLite counts a RETURNING statement's rows as read


def _all_done(cursor) -> list[Done]:
    done = [_done(cursor)]
    while cursor.nextset():
        done.append(_done(cursor))
    return done


_ROWCOUNT = operator.attrgetter("rowcount")
_FIRST_ROW = operator.methodcaller("fetchone")


def _run(sql: str, params: list, result: Callable, *, prepared: bool = True) -> Any:
    db = connections[DEFAULT_DB_ALIAS]
    kept = _kept_cursors(db)
    if kept is None:
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return result(cursor)
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        if prepared and kept.prepared is not None:
            kept.prepared.execute(sql, params, prepare=True)
            return result(kept.prepared)
        kept.plain.execute(sql, params)
        return result(kept.plain)


class _Kept(NamedTuple):
    connection: Any  # the psycopg connection they belong to
    plain: Any  # Django's cursor class (client-side binding: several statements at once)
    prepared: Any  # server-side binding, each statement prepared once per connection


def _kept_cursors(db) -> _Kept | None:
    """The psycopg cursors kept with this thread's connection, or None for Django's."""
    if (
        db.vendor != "postgresql"
        or db.queries_logged
        or db.execute_wrappers
        or db.allow_thread_sharing  # a cursor of its own per statement, as threads take turns
    ):
        return None
    db.close_if_health_check_failed()
    db.ensure_connection()
    kept = getattr(db, "_kept_cursors", None)
    if kept is None or kept.connection is not db.connection:  # first use, or a new connection
        kept = db._kept_cursors = _Kept(db.connection, db.create_cursor(), _prepared_cursor(db))
    return kept


def _prepared_cursor(db) -> Any:
    """A server-side binding cursor whose statements are prepared on first use: the
    few statements every handshake and frame runs then skip PostgreSQL's parse and
    plan (about a third of its CPU a statement) and psycopg's quoting. Off with
    DATABASE_PREPARED=0 (a connection pooler that cannot keep prepared statements:
    PgBouncer before 1.21, or without `max_prepared_statements`)."""
    if not settings.DATABASE_PREPARED:
        return None
    connection = db.connection
    if connection.prepare_threshold is None:  # Django's default: nothing prepared
        # Only what this cursor asks to prepare (`prepare=True`), nothing by itself.
        connection.prepare_threshold = _ONLY_WHEN_ASKED
    return psycopg.Cursor(connection)


_ONLY_WHEN_ASKED = 2**31 - 1
