"""Scratch databases for the benchmarks: an empty SQLite file or a PostgreSQL database made afresh.

PostgreSQL: 127.0.0.1:5432, user postgres; the named database is dropped (with its
connections) and created again, so a benchmark never reads a previous run's rows.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
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


def run_each_backend(
    description: str, run_backend: Callable[[str, int, Path], None], argv: list[str] | None, *, loans: int = 20_000
) -> None:
    """`--loans N --backends a,b`: run_backend(backend, N, a scratch directory) for each backend, in order."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--loans", type=int, default=loans)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            run_backend(backend, args.loans, Path(tmp))
