"""The audit log is tamper-evident: each person's rows are a hash chain that `fairlend verify` checks.

Every way of editing the log in the database is tried (a purpose rewritten, an
actor swapped, a row removed from the middle or the end, every row of a person
removed, two rows swapped, a row forged in) and each is named by the check, on
both databases. Rows written before the chain existed are chained by migration
identity_0004.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from fairlend.bootstrap import Container, bootstrap
from fairlend.cli import app
from fairlend.config import Settings
from fairlend.db.engine import make_engine
from fairlend.db.migrate import upgrade
from fairlend.db.types import UtcDateTime
from fairlend.identity import audit
from fairlend.identity.audit_chain import GENESIS, ChainedRow, canonical, first_break, row_hash
from fairlend.identity.model import Principal, Role
from fairlend.identity.tables import identity_audit, identity_audit_head
from tests.identity.helpers import sign_up

COMPLIANCE = Principal("op_comp", Role.COMPLIANCE)


def _views(container: Container, person_id: str, count: int) -> None:
    for n in range(count):
        container.identity.unmasked(COMPLIANCE, person_id, f"complaint {n}")


def _sql(container: Container, statement: str, **params: object) -> None:
    with container.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _breaks(container: Container) -> list[tuple[str, str]]:
    return [(d.subject, d.detail) for d in container.verify() if d.check == "identity.audit"]


def test_an_untouched_log_verifies_and_each_row_points_at_the_one_before(container: Container) -> None:
    a, b = sign_up(container), sign_up(container)
    _views(container, a.subject_id, 3)
    _views(container, b.subject_id, 1)
    assert _breaks(container) == []
    with container.engine.connect() as conn:
        rows = conn.execute(
            sa.select(identity_audit.c.seq, identity_audit.c.prev_hash, identity_audit.c.hash)
            .where(identity_audit.c.person_id == a.subject_id)
            .order_by(identity_audit.c.seq)
        ).all()
        head = conn.execute(
            sa.select(identity_audit_head.c.seq, identity_audit_head.c.hash).where(
                identity_audit_head.c.person_id == a.subject_id
            )
        ).one()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert [r.prev_hash for r in rows] == [GENESIS, rows[0].hash, rows[1].hash]
    assert tuple(head) == (3, rows[-1].hash)


@pytest.mark.parametrize(
    ("tampering", "statement", "row", "reason"),
    [
        (
            "a purpose rewritten",
            "UPDATE identity_audit SET purpose = 'routine' WHERE person_id = :p AND seq = 2",
            2,
            "content",
        ),
        (
            "the actor swapped",
            "UPDATE identity_audit SET actor_id = 'op_other' WHERE person_id = :p AND seq = 1",
            1,
            "content",
        ),
        (
            "the time moved",
            "UPDATE identity_audit SET business_date = '2020-01-01' WHERE person_id = :p AND seq = 3",
            3,
            "content",
        ),
        ("a middle row removed", "DELETE FROM identity_audit WHERE person_id = :p AND seq = 2", 3, "expected row #2"),
        ("the last row removed", "DELETE FROM identity_audit WHERE person_id = :p AND seq = 3", 2, "head says row #3"),
        ("every row removed", "DELETE FROM identity_audit WHERE person_id = :p", 3, "has none"),
        ("the head removed", "DELETE FROM identity_audit_head WHERE person_id = :p", 3, "no head"),
    ],
)
def test_every_edit_of_a_persons_rows_is_named_by_verify(
    container: Container, tampering: str, statement: str, row: int, reason: str
) -> None:
    who, bystander = sign_up(container), sign_up(container)
    _views(container, who.subject_id, 3)
    _views(container, bystander.subject_id, 2)
    _sql(container, statement, p=who.subject_id)
    ((subject, detail),) = _breaks(container)  # the other person's chain still holds
    assert subject == who.subject_id, tampering
    assert detail.startswith(f"row #{row} ") and reason in detail, (tampering, detail)


def test_two_rows_swapped_and_a_forged_row_are_caught(container: Container) -> None:
    who = sign_up(container)
    _views(container, who.subject_id, 3)
    _sql(container, "UPDATE identity_audit SET seq = -seq WHERE person_id = :p AND seq IN (1, 2)", p=who.subject_id)
    _sql(container, "UPDATE identity_audit SET seq = 2 WHERE person_id = :p AND seq = -1", p=who.subject_id)
    _sql(container, "UPDATE identity_audit SET seq = 1 WHERE person_id = :p AND seq = -2", p=who.subject_id)
    ((_, swapped),) = _breaks(container)
    assert swapped.startswith("row #1 ") and "point at the row before" in swapped

    other = sign_up(container)
    _views(container, other.subject_id, 1)
    with container.engine.connect() as conn:
        first = conn.execute(sa.select(identity_audit).where(identity_audit.c.person_id == other.subject_id)).one()
    forged = {**first._asdict(), "seq": 2, "prev_hash": first.hash, "purpose": "nothing to see"}
    forged["id"] = first.id + 1000  # keyed by (person_id, id): the forger picks a free id
    # A careful forger recomputes the row's hash; the head still says the chain ended before it.
    forged["hash"] = row_hash(ChainedRow(**{f: forged[f] for f in ChainedRow.__dataclass_fields__ if f != "hash"}))
    with container.engine.begin() as conn:
        conn.execute(sa.insert(identity_audit).values(**forged))
    assert any(s == other.subject_id and "head says row #1" in d for s, d in _breaks(container))


def test_fairlend_verify_exits_1_naming_the_tampered_person(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    who = sign_up(container)
    _views(container, who.subject_id, 2)
    env = {"FAIRLEND_DATABASE_URL": database_url, "FAIRLEND_DATA_DIR": str(tmp_path), "FAIRLEND_ENVIRONMENT": "test"}
    runner = CliRunner()
    clean = runner.invoke(app, ["verify"], env=env)
    assert clean.exit_code == 0 and "identity_audit" in clean.output, clean.output
    _sql(container, "UPDATE identity_audit SET purpose = 'x' WHERE person_id = :p AND seq = 1", p=who.subject_id)
    tampered = runner.invoke(app, ["verify"], env=env)
    assert tampered.exit_code == 1
    assert f"identity.audit: {who.subject_id}: row #1" in tampered.output


def test_appends_for_one_person_from_many_threads_make_one_unbroken_chain(container: Container) -> None:
    who = sign_up(container)
    errors: list[BaseException] = []

    def view() -> None:
        try:
            _views(container, who.subject_id, 5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _breaks(container) == []
    with container.engine.connect() as conn:
        seqs = conn.execute(
            sa.select(identity_audit.c.seq).where(identity_audit.c.person_id == who.subject_id).order_by("seq")
        ).scalars()
        assert list(seqs) == list(range(1, 21))


def test_the_chain_is_frozen_a_known_row_has_a_known_hash() -> None:
    """Changing the serialisation would break every stored chain (and migration identity_0004's copy)."""
    row = ChainedRow(
        "brw_1", 1, "op_comp", "compliance", "phone", "complaint 7",
        datetime(2026, 3, 2, 2, 0, 0, 123456, tzinfo=UTC), date(2026, 3, 2), GENESIS,
    )  # fmt: skip
    written = (
        '{"actor_id":"op_comp","actor_role":"compliance","at":"2026-03-02T02:00:00.123456Z",'
        '"business_date":"2026-03-02","fields":"phone","person_id":"brw_1","prev_hash":"' + GENESIS + '",'
        '"purpose":"complaint 7","seq":1}'
    ).encode()
    assert canonical(row) == written
    assert row_hash(row) == hashlib.sha256(written).hexdigest()
    assert first_break("brw_1", [(1, _with_hash(row))], (1, row_hash(row))) is None


def _with_hash(row: ChainedRow) -> ChainedRow:
    return ChainedRow(*[getattr(row, f) for f in ChainedRow.__dataclass_fields__ if f != "hash"], row_hash(row))


def test_migration_chains_the_rows_written_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "identity_0003")
    old = sa.table(
        "identity_audit",
        *(sa.column(c) for c in ("actor_id", "actor_role", "person_id", "fields", "purpose")),
        sa.column("at", UtcDateTime),
        sa.column("business_date", sa.Date),
    )
    at = datetime(2026, 3, 1, 8, 0, 0, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for person, purpose in (("brw_a", "one"), ("brw_b", "two"), ("brw_a", "three")):
            conn.execute(
                old.insert().values(
                    actor_id="op_c", actor_role="compliance", person_id=person, fields="phone",
                    purpose=purpose, at=at, business_date=date(2026, 3, 1),
                )
            )  # fmt: skip
    upgrade(engine)
    engine.dispose()
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=tmp_path))
    try:
        assert _breaks(container) == []
        with container.uow() as uow:
            audit.record(
                uow,
                actor_id="op_c",
                actor_role="compliance",
                person_id="brw_a",
                fields="phone",
                purpose="after the upgrade",
            )
            uow.commit()
        assert _breaks(container) == []
        with container.engine.connect() as conn:
            chain = conn.execute(
                sa.select(identity_audit.c.seq, identity_audit.c.purpose)
                .where(identity_audit.c.person_id == "brw_a")
                .order_by(identity_audit.c.seq)
            ).all()
        assert [tuple(r) for r in chain] == [(1, "one"), (2, "three"), (3, "after the upgrade")]
        _sql(container, "UPDATE identity_audit SET purpose = 'edited' WHERE person_id = 'brw_b'")
        assert [s for s, _ in _breaks(container)] == ["brw_b"]
    finally:
        container.close()
