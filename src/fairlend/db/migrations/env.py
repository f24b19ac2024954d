"""Alembic environment: runs on the engine fairlend hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from fairlend.db.schema import load_all

config = context.config
target_metadata = load_all()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        from fairlend.config import Settings
        from fairlend.db.engine import make_engine

        engine = make_engine(Settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        # SQLAlchemy 2 connections do not autocommit: commit what Alembic ran.
        if connection.in_transaction():
            connection.commit()


run_migrations_online()
