"""The migrations that key owned rows by their owner (docs/scale-out.md §4), on a database that holds rows.

Each context's chain is brought to the revision before its re-keying, rows are
written there, and the upgrade to the newest revision must keep every row, keep
each business rule that a unique key enforced (one pending promise, one open
hardship request, one task per loan, date and step, one outcome per call), and
leave no unique key of an owned table without its owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.config import Settings
from fairlend.db.engine import make_engine
from fairlend.db.migrate import upgrade
from fairlend.identity import audit
from fairlend.identity.audit_chain import GENESIS, ChainedRow, row_hash
from tests.conftest import PG_SERVER

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
BEFORE = ("finance_0003", "collections_0005", "hardship_0002", "identity_0006", "lending_0006", "market_0006")
OWNED = {
    "finance_class_change": "borrower_id",
    "finance_non_accrual": "borrower_id",
    "loan": "borrower_id",
    "contact_log": "borrower_id",
    "contact_person": "borrower_id",
    "complaint": "borrower_id",
    "call_outcome": "borrower_id",
    "collection_task": "borrower_id",
    "promise_to_pay": "borrower_id",
    "hardship_request": "borrower_id",
    "hardship_proposal": "borrower_id",
    "hardship_plan": "borrower_id",
    "hardship_evidence": "borrower_id",
    "identity_audit": "person_id",
    "market_listing": "borrower_id",
}


@pytest.fixture
def blank_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own: the shared one is already at the newest revision."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    shared = request.getfixturevalue("pg_database")
    if shared is None:
        pytest.skip("PostgreSQL is not reachable on this machine (CI requires it)")
    name = sa.engine.make_url(shared).database + "_shard"
    admin = sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_SERVER}/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _filler(column: sa.Column[Any]) -> Any:
    kind = column.type
    for python_type, value in ((bool, False), (int, 1), (Decimal, Decimal("0.1"))):
        try:
            if kind.python_type is python_type:
                return value
        except NotImplementedError:
            break
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Date):
        return TODAY
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.LargeBinary):
        return b"x"
    return "x"


def _insert(conn: sa.Connection, name: str, **given: Any) -> None:
    """A row of the table as it stands at this revision: the values given, anything required filled in."""
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    row = dict(given)
    for column in table.columns:
        needed = not column.nullable and column.server_default is None and column.autoincrement is not True
        if column.name not in row and needed and not (column.primary_key and name == "identity_audit"):
            row[column.name] = _filler(column)
    conn.execute(table.insert().values(**row))


def _count(conn: sa.Connection, name: str) -> int:
    return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one())


def _write_the_old_book(conn: sa.Connection) -> None:
    for borrower, loan in (("brw_a", "loan_1"), ("brw_b", "loan_2")):
        _insert(conn, "loan", borrower_id=borrower, id=loan, borrower_slot=7)
        # The move and the current class it left behind (finance_0006 folds the second into the first).
        _insert(conn, "finance_class_change", borrower_id=borrower, loan_id=loan, business_date=TODAY)
        _insert(conn, "finance_loan_class", borrower_id=borrower, loan_id=loan, since=TODAY)
        _insert(conn, "finance_non_accrual", borrower_id=borrower, loan_id=loan, suspended=0)
        _insert(conn, "contact_log", borrower_id=borrower, seq=1, id=f"log_{loan}", loan_id=loan)
        _insert(conn, "contact_person", borrower_id=borrower, id=f"cp_{loan}")
        _insert(conn, "complaint", borrower_id=borrower, id=f"cmp_{loan}", loan_id=loan)
        _insert(conn, "call_outcome", borrower_id=borrower, id=f"co_{loan}", log_id=f"log_{loan}", loan_id=loan)
        _insert(conn, "collection_task", borrower_id=borrower, id=f"task_{loan}", loan_id=loan, step="d1")
        _insert(conn, "promise_to_pay", borrower_id=borrower, id=f"ptp_{loan}", loan_id=loan, status="pending")
        _insert(conn, "hardship_request", borrower_id=borrower, id=f"hr_{loan}", loan_id=loan, open_loan_id=loan)
        _insert(conn, "hardship_proposal", borrower_id=borrower, id=f"hp_{loan}", request_id=f"hr_{loan}")
        _insert(conn, "hardship_plan", borrower_id=borrower, id=f"pl_{loan}", loan_id=loan, active_loan_id=loan)
        _insert(conn, "hardship_evidence", borrower_id=borrower, id=f"ev_{loan}", request_id=f"hr_{loan}")
        _insert(conn, "market_listing", borrower_id=borrower, id=f"lst_{loan}", offer_id=f"off_{loan}", funded_minor=0)
    heads: dict[str, tuple[int, str]] = {}
    for person in ("brw_a", "brw_b", "brw_a"):
        seq, prev = heads.get(person, (0, GENESIS))
        row = ChainedRow(person, seq + 1, "op_c", "compliance", "phone", f"seen {person}", NOW, TODAY, prev)
        heads[person] = (row.seq, row_hash(row))
        _insert(conn, "identity_audit", **{**asdict(row), "hash": heads[person][1]})
    for person, (seq, digest) in heads.items():
        _insert(conn, "identity_audit_head", person_id=person, seq=seq, hash=digest)


def _unique_keys(inspector: sa.Inspector, table: str) -> list[set[str]]:
    keys = [set(inspector.get_pk_constraint(table)["constrained_columns"])]
    keys += [set(u["column_names"]) for u in inspector.get_unique_constraints(table)]
    keys += [{c for c in i["column_names"] if c} for i in inspector.get_indexes(table) if i["unique"]]
    return keys


def test_owned_rows_keep_their_rules_and_every_unique_key_names_the_owner_after_the_upgrade(
    blank_url: str, tmp_path: Path
) -> None:
    engine = make_engine(blank_url)
    for revision in BEFORE:
        upgrade(engine, revision)
    with engine.begin() as conn:
        _write_the_old_book(conn)
        before = {name: _count(conn, name) for name in OWNED}
        old_ids = sorted(conn.execute(sa.text("SELECT id FROM identity_audit")).scalars())

    upgrade(engine)

    with engine.connect() as conn:
        assert {name: _count(conn, name) for name in OWNED} == before
        assert sorted(conn.execute(sa.text("SELECT id FROM identity_audit")).scalars()) == old_ids
        current = conn.execute(sa.text("SELECT loan_id FROM finance_class_change WHERE latest = 1")).scalars()
        assert sorted(current) == ["loan_1", "loan_2"]  # each loan's current class kept, on its change row
        inspector = sa.inspect(conn)
        ownerless = {
            (table, tuple(sorted(key)))
            for table, owner in OWNED.items()
            for key in _unique_keys(inspector, table)
            if owner not in key
        }
        assert ownerless == set()
        assert inspector.get_pk_constraint("identity_audit")["constrained_columns"] == ["person_id", "id"]

    # The rules the old keys enforced still hold, loan by loan: a second of each is refused.
    seconds = [
        ("promise_to_pay", {"borrower_id": "brw_a", "id": "ptp_9", "loan_id": "loan_1", "status": "pending"}),
        ("collection_task", {"borrower_id": "brw_a", "id": "task_9", "loan_id": "loan_1", "step": "d1"}),
        ("call_outcome", {"borrower_id": "brw_a", "id": "co_9", "log_id": "log_loan_1", "loan_id": "loan_1"}),
        ("hardship_request", {"borrower_id": "brw_a", "id": "hr_9", "loan_id": "loan_1", "open_loan_id": "loan_1"}),
        ("hardship_plan", {"borrower_id": "brw_a", "id": "pl_9", "loan_id": "loan_1", "active_loan_id": "loan_1"}),
        ("finance_class_change", {"borrower_id": "brw_a", "loan_id": "loan_1", "business_date": TODAY}),
        ("loan", {"borrower_id": "brw_a", "id": "loan_1", "borrower_slot": 7}),
        ("market_listing", {"borrower_id": "brw_a", "id": "lst_9", "offer_id": "off_loan_1", "funded_minor": 0}),
    ]
    for table, values in seconds:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            _insert(conn, table, **values)
    with engine.begin() as conn:  # a kept promise does not count: one *pending* per loan
        _insert(conn, "promise_to_pay", borrower_id="brw_a", id="ptp_8", loan_id="loan_1", status="kept")
    engine.dispose()

    # The audit log goes on after the rows it kept: the next row's id follows the last.
    from fairlend.bootstrap import bootstrap

    container = bootstrap(Settings(environment="test", database_url=blank_url, data_dir=tmp_path))
    try:
        with container.uow() as uow:
            audit.record(
                uow, actor_id="op_c", actor_role="compliance", person_id="brw_b", fields="phone", purpose="after"
            )
            uow.commit()
        with container.engine.connect() as conn:
            newest = conn.execute(sa.text("SELECT id, person_id FROM identity_audit ORDER BY id DESC")).first()
        assert newest is not None and newest.person_id == "brw_b" and newest.id > max(old_ids)
        assert container.identity.audit.verify() == []
    finally:
        container.close()
