"""Engines for the embedded SQLite database and for PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine that never writes bound parameters to a log or an error message.

    Parameters carry personal data (a name sent to the bureau, a blind index, a
    reporting file): `FAIRLEND_ECHO_SQL` shows the statements and a failed
    statement's error names it, but both say "parameters hidden" for the values.
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo)
    return create_engine(url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=8, max_overflow=8)


def _sqlite_engine(url: str, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # A file database keeps as many connections as a server's requests use at once (its thread pool
    # runs 40): SQLAlchemy's default keeps 5 and closes the rest on return, so under load every
    # request past the fifth opened a connection and ran the PRAGMAs below again.
    pooled = {"pool_size": 16, "max_overflow": 24} if database and database != ":memory:" else {}
    engine = create_engine(
        url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}, **pooled
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Set-based end-of-day work (distribution's window functions, the large
        # UPDATE ... FROM joins) sorts hundreds of thousands of rows: with the
        # default 2 MB cache and file-backed temporaries those sorts spill to
        # disk (distribution ran 3x slower). 64 MB is a ceiling, not an allocation.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction takes the write lock up front: upgrading a read
        # lock later can fail at once with SQLITE_BUSY instead of waiting.
        # Sent on the driver's own connection: it is on every transaction's
        # path, and SQLAlchemy's statement machinery cost more than the BEGIN.
        read_only = connection.get_execution_options().get("fairlend_read_only")
        connection.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
