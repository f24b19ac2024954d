import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fairlend.bootstrap import Container
from fairlend.db.migrate import is_current, upgrade
from fairlend.db.schema import load_all


def test_migrations_build_exactly_the_tables_the_code_declares(container: Container) -> None:
    with container.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, load_all())
    assert diff == []


def test_upgrade_is_current_and_idempotent(container: Container) -> None:
    assert is_current(container.engine)
    upgrade(container.engine)
    assert is_current(container.engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    from fairlend.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_a_plain_postgresql_url_uses_psycopg_3() -> None:
    from fairlend.db.engine import normalise_url

    assert normalise_url("postgresql://postgres@127.0.0.1/test").startswith("postgresql+psycopg://")
    assert sa.engine.make_url(normalise_url("sqlite:///x.db")).drivername == "sqlite"
