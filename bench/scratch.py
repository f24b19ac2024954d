"""Scratch databases for the benchmarks: an empty SQLite file or a PostgreSQL database made afresh.

PostgreSQL: 127.0.0.1:5432, user postgres; the named database is dropped (with its
connections) and created again, so a benchmark never reads a previous run's rows.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def recreate_pg(name: str) -> str:
    """Drop and create PostgreSQL database `name`; its URL."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_pg(name: str) -> None:
    """Drop PostgreSQL database `name` (with its connections), if it is there."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database(backend: str, workdir: Path, name: str) -> str:
    """An empty database on `backend` ("sqlite" or "postgresql"), named `name`; its URL."""
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    return recreate_pg(name)
