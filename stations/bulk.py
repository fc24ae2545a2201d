"""Many rows in one statement, for the writes the OCPP hot path makes hundreds of a second."""

import psycopg
from django.db import connection
from django.db.models import Model

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
    the ORM would store them. `update`: the last name is the key (`UPDATE ... WHERE
    key = ...`); `conflict_free`: rows that would break a unique constraint (replays)
    are skipped. Run it inside a transaction: each row is one statement.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    if update:
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields[:-1])
        sql = f"UPDATE {table} SET {assignments} WHERE {quote(fields[-1].column)} = %s"
    else:
        columns = ", ".join(quote(f.column) for f in fields)
        values = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"
        if conflict_free:
            sql += " ON CONFLICT DO NOTHING"
    prepare = [field if field.get_internal_type() in _PREPARED_TYPES else None for field in fields]
    prepared = [
        [
            value if field is None else field.get_db_prep_save(value, connection)
            for field, value in zip(prepare, row, strict=True)
        ]
        for row in rows
    ]
    if connection.vendor == "postgresql":
        # Server-side parameters: one prepared statement pipelined for every row, not
        # the statement text (or, for Django's bulk_create, arrays of every value)
        # quoted in Python as Django's client-side cursor does.
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.executemany(sql, prepared)
    else:
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
