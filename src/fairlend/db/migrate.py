"""Alembic, driven from code: `fairlend db upgrade` and the embedded database."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("fairlend.db").joinpath("migrations")))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to the newest revision of every context's branch."""
    command.upgrade(alembic_config(engine), revision)


def is_current(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        applied = set(MigrationContext.configure(conn).get_current_heads())
    # A head another branch depends on (foundation_0001 under every context) is
    # applied when a revision that depends on it is, without being a current head.
    covered = {rev.revision for rev in script.iterate_revisions(tuple(applied), "base")} if applied else set()
    return set(script.get_heads()) <= covered
