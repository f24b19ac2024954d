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
        applied = MigrationContext.configure(conn).get_current_heads()
    # A branch that depends on another records only its own head; count the revisions it implies.
    reached = {r.revision for r in script.revision_map.iterate_revisions(applied, "base") if r is not None}
    return set(script.get_heads()) <= reached
