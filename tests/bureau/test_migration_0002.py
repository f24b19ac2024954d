"""bureau_0002 on a database that already holds credit files and files in clear."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from fairlend.bureau.held import blind_index
from fairlend.bureau.sealing import BureauSealer
from fairlend.bureau.service import BureauService, derive_blind_key
from fairlend.clock import FixedClock
from fairlend.db.engine import make_engine
from fairlend.db.migrate import alembic_config, upgrade
from fairlend.db.uow import EventBus, uow_factory
from fairlend.jurisdiction.loader import load_profile
from tests.conftest import PG_SERVER

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ID_NUMBER = "110101199003074477"


@pytest.fixture
def blank_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: the shared one is already at the newest revision."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    shared = request.getfixturevalue("pg_database")
    if shared is None:
        pytest.skip("PostgreSQL is not reachable on this machine (CI requires it)")
    name = sa.engine.make_url(shared).database + "_m2"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_SERVER}/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_stored_names_are_masked_and_old_rows_stay_readable_until_rotation_seals_them(blank_url: str) -> None:
    engine = make_engine(blank_url)
    upgrade(engine, "bureau_0001")
    content = '{"person": {"name": "张三", "id_number": "110101199003074477"}}'.encode()
    blind = derive_blind_key("migration test")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO bureau_file (id, blind_index, name, id_masked, created_at) "
                "VALUES ('bfile_1', :index, '张三', '110***********4477', :now), "
                "('bfile_2', 'other', 'Wang Xiao Ming', '123***6789', :now)"
            ),
            {"index": blind_index(blind, ID_NUMBER), "now": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO bureau_submission (id, institution_id, sha256, received_at, lines, applied, rejected,"
                " ack, content) VALUES ('bsub_1', 'inst_a', 'x', :now, 1, 1, 0, '{}', :content)"
            ),
            {"now": NOW, "content": content},
        )
    upgrade(engine)
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("SELECT id, name_masked FROM bureau_file ORDER BY id")).all())
        columns = {c["name"] for c in sa.inspect(conn).get_columns("bureau_file")}
        key_id = conn.execute(sa.text("SELECT key_id FROM bureau_submission")).scalar_one()
    assert names == {"bfile_1": "张*", "bfile_2": "W*** X*** M***"} and "name" not in columns
    assert key_id == ""  # in clear until rotation

    clock = FixedClock(NOW, date(2026, 3, 2))
    sealer = BureauSealer([("k1", b"k" * 32)])
    bureau = BureauService(uow_factory(engine, clock, EventBus()), load_profile("cn"), clock, blind, sealer)
    assert bureau.report(ID_NUMBER).name_masked == "张*"
    assert [problem for _, problem in bureau.verify()] == [
        "bureau_submission is stored in clear: run fairlend users rotate-pii-keys"
    ]
    assert bureau.rotate_keys() == 1 and bureau.verify() == []
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT content FROM bureau_submission")).scalar_one()
    assert ID_NUMBER.encode() not in bytes(stored)
    # bureau_0001 would read sealed bytes as the file: going back is refused, not silently lossy.
    with pytest.raises(RuntimeError, match="sealed rows"):
        command.downgrade(alembic_config(engine), "bureau_0001")
    engine.dispose()
