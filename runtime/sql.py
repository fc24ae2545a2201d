"""Plain SQL for the few statements every handshake and boot runs.

A reconnect storm runs them thousands of times a second, and building a statement
through the ORM costs three to six times the CPU of sending it (about 300-550 µs
against 80-120 µs on the reference machine). Elsewhere the ORM is the rule.

Statements name tables and columns as the models do (`table(Model)`) and take
parameters the way Django's cursor does (`%s`), so they run on PostgreSQL and SQLite
alike; datetimes go through `moment()` to be stored as the ORM stores them, and
`aware()` to be read as it reads them.
"""

from datetime import datetime
from typing import Any

from django.db import connection, models


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
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch_one(sql: str, params: list) -> tuple | None:
    """The first row a statement returns, or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
