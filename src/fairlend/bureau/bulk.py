"""Bulk reads and writes straight through the driver, for intake's hot path.

SQLAlchemy Core's per-row parameter processing, its rendering of long IN
lists and its regex parsing of SQLite dates cost more than SQLite's own work
when a file carries tens of thousands of records, so these helpers build one
plain statement and hand the driver tuples. Dates go to SQLite as ISO text
and booleans as 0/1, which is exactly what SQLAlchemy itself stores there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Date

CHUNK = 2000


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]], *, conflict: tuple[str, ...] = ()) -> None:
    """`bulk_insert_tuples` over dict rows keyed by column name."""
    pick = itemgetter(*[c.name for c in table.columns])
    bulk_insert_tuples(conn, table, [pick(row) for row in rows], conflict=conflict)


def bulk_insert_tuples(
    conn: Connection, table: Any, rows: list[tuple[Any, ...]], *, conflict: tuple[str, ...] = ()
) -> None:
    """One prepared INSERT (or upsert) run with executemany over tuples in the table's column order.

    SQLAlchemy's per-row parameter processing cost more than SQLite's own work
    on the hot intake path, so the rows go to the driver as they are. Dates
    go to SQLite as ISO text and booleans as 0/1, which is what SQLAlchemy
    itself stores there.
    """
    columns = [c.name for c in table.columns]
    sqlite_backend = conn.dialect.name == "sqlite"
    marker = "?" if sqlite_backend else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    if conflict:
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in conflict)
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    if sqlite_backend:
        adapt_dates_for_sqlite()
    # Straight to the driver's cursor, inside the same transaction: even
    # exec_driver_sql inspected every parameter tuple on the way.
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def select_in(
    conn: Connection, table: Any, condition: str, value: Any, column: str, keys: Sequence[Any]
) -> list[dict[str, Any]]:
    """`SELECT * FROM table WHERE <condition> value AND column IN (keys)` as plain SQL, rows as dicts.

    SQLAlchemy rendered the thousands-long IN list afresh for every chunk and
    parsed every SQLite date with a regex; together they cost ten times the query.
    """
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    names = [c.name for c in table.columns]
    test = condition if " " in condition else f"{condition} ="
    sql = (
        f"SELECT {', '.join(names)} FROM {table.name} WHERE {test} {marker} "
        f"AND {column} IN ({', '.join([marker] * len(keys))})"
    )
    dated = [i for i, n in enumerate(names) if isinstance(table.c[n].type, Date)]
    parse = date.fromisoformat
    rows = []
    for values in fetch_all(conn, sql, (value, *keys)):
        if dated:
            values = list(values)
            for i in dated:
                found = values[i]
                if found is not None and not isinstance(found, date):
                    values[i] = parse(found)
        rows.append(dict(zip(names, values, strict=True)))
    return rows


def fetch_all(conn: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """Run a plain query on the driver's cursor, in the connection's transaction, and fetch every row at once.

    SQLAlchemy's result object fetched row by row with its own processing:
    on a few thousand rows that cost more than SQLite's lookup.
    """
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def bulk_update(conn: Connection, table: Any, key: str, columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """One prepared UPDATE by primary key, run with executemany over plain tuples."""
    sqlite_backend = conn.dialect.name == "sqlite"
    marker = "?" if sqlite_backend else "%s"
    sql = f"UPDATE {table.name} SET {', '.join(f'{c} = {marker}' for c in columns)} WHERE {key} = {marker}"
    if sqlite_backend:
        adapt_dates_for_sqlite()
    pick = itemgetter(*columns, key)
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, [pick(row) for row in rows])
    finally:
        cursor.close()


def adapt_dates_for_sqlite() -> None:
    # SQLAlchemy stores a Date on SQLite as ISO text; teach the driver the same
    # (registered by exact type, so datetimes are unaffected; booleans are ints already).
    sqlite3.register_adapter(date, date.isoformat)
