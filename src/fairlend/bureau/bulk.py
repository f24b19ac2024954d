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

from sqlalchemy import Connection

CHUNK = 2000


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def bulk_insert(conn: Connection, table: Any, rows: list[dict[str, Any]], *, conflict: tuple[str, ...] = ()) -> None:
    """`bulk_insert_tuples` over dict rows keyed by column name."""
    pick = itemgetter(*[c.name for c in table.columns])
    bulk_insert_tuples(conn, table, [pick(row) for row in rows], conflict=conflict)


def bulk_insert_tuples(
    conn: Connection,
    table: Any,
    rows: list[tuple[Any, ...]],
    *,
    conflict: tuple[str, ...] = (),
    keep_existing: bool = False,
) -> int:
    """One prepared INSERT run with executemany over tuples in the table's column order; the rows inserted.

    With `conflict`, a row whose key exists updates it (an upsert), or with
    `keep_existing` is skipped. Without, on PostgreSQL, the rows are copied
    (`_copy`, COPY_NEW_ROWS). SQLAlchemy's per-row parameter processing
    cost more than SQLite's own work on the hot intake path, so the rows go
    to the driver as they are. Dates go to SQLite as ISO text and booleans
    as 0/1, which is what SQLAlchemy itself stores there.
    """
    columns = [c.name for c in table.columns]
    sqlite_backend = conn.dialect.name == "sqlite"
    if not conflict and not sqlite_backend and COPY_NEW_ROWS:
        return _copy(conn, table.name, columns, rows)
    marker = "?" if sqlite_backend else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    if conflict:
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in conflict)
        sql += f" ON CONFLICT ({', '.join(conflict)}) " + (
            "DO NOTHING" if keep_existing else f"DO UPDATE SET {updates}"
        )
    if sqlite_backend:
        adapt_for_sqlite()
    # Straight to the driver's cursor, inside the same transaction: even
    # exec_driver_sql inspected every parameter tuple on the way.
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
        # Both drivers sum the rows each execution changed.
        return int(cursor.rowcount)
    finally:
        cursor.close()


# PostgreSQL: rows that are all new go in by COPY (one stream, no statement a row). False: executemany, for measuring.
COPY_NEW_ROWS = True


def _copy(conn: Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> int:
    """psycopg 3's `COPY ... FROM STDIN`, in the connection's transaction: a duplicate key fails it whole."""
    cursor = conn.connection.cursor()
    try:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
    finally:
        cursor.close()
    return len(rows)


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


def bulk_update(conn: Connection, table: Any, key: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """One prepared UPDATE by `key` (see `row_key`), run with executemany over tuples: the values, then the key.

    On PostgreSQL, SET_BASED_FROM rows or more are copied into a temporary
    table and applied by one UPDATE ... FROM (`_update_from_copy`): less work
    for the server as well as for the client than a statement a row.
    """
    sqlite_backend = conn.dialect.name == "sqlite"
    marker = "?" if sqlite_backend else "%s"
    sql = f"UPDATE {table.name} SET {', '.join(f'{c} = {marker}' for c in columns)} WHERE {key} = {marker}"
    if sqlite_backend:
        adapt_for_sqlite()
    elif len(rows) >= SET_BASED_FROM:
        _update_from_copy(conn, table.name, key, columns, rows)
        return
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


# Rows from which an update goes set-based on PostgreSQL. A temporary table costs three statements of its own, so
# a handful of rows go by executemany; the figure is a round guess, not a measured crossover. A huge value: off.
SET_BASED_FROM = 100


def _update_from_copy(
    conn: Connection, table: str, key: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """PostgreSQL: the rows copied into a temporary table of the same columns, then one UPDATE ... FROM.

    Each key once (intake's rows are one per account). The table is dropped
    at once: a file's chunks run in one transaction, each creates its own.
    """
    staged = f"staged_{table}"
    listed = ", ".join([*columns, key])
    cursor = conn.connection.cursor()
    try:
        cursor.execute(f"CREATE TEMPORARY TABLE {staged} AS SELECT {listed} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {staged} ({listed}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        sets = ", ".join(f"{c} = s.{c}" for c in columns)
        cursor.execute(f"UPDATE {table} t SET {sets} FROM {staged} s WHERE t.{key} = s.{key}")
        cursor.execute(f"DROP TABLE {staged}")
    finally:
        cursor.close()


class IsoDates(dict[date, str]):
    """date -> ISO text, memoised: what SQLite stores for a Date, without the driver's adapter.

    The registered adapter is a Python call per value on the way in; a file
    repeats a handful of dates thousands of times, so one dict lookup each.
    """

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


class SameDates(dict[date, date]):
    """The identity: PostgreSQL's driver takes dates as they are."""

    def __missing__(self, day: date) -> date:
        self[day] = day
        return day


def storage_dates(conn: Connection) -> dict[date, Any]:
    """An empty memo of dates in the form this connection's driver stores."""
    return IsoDates() if conn.dialect.name == "sqlite" else SameDates()


def row_key(conn: Connection) -> tuple[str, str]:
    """The cheapest key to update one row of a table by: (column to select, column to match).

    On SQLite the rowid finds the row directly; the primary key would go
    through its own index first.
    """
    return ("rowid", "rowid") if conn.dialect.name == "sqlite" else ("id", "id")


def adapt_for_sqlite() -> None:
    """Teach the driver what SQLAlchemy stores, and the cheap way to bind what it binds slowly.

    A Date is ISO text (registered by exact type, so datetimes are
    unaffected). CPython 3.11's driver binds only exact int, float and str
    directly; a None or a bool goes through its adaptation protocol, whose
    failed attribute lookups cost more than a month row's own insert. An
    adapter found in its registry skips them: None stays NULL, a bool is 0/1
    as SQLAlchemy stores it.
    """
    sqlite3.register_adapter(date, date.isoformat)
    sqlite3.register_adapter(type(None), _null)
    sqlite3.register_adapter(bool, int)


def _null(_value: None) -> None:
    return None
