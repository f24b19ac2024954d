"""Intake's bulk writes straight through the driver: new rows by COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.bureau import bulk
from fairlend.bureau.bulk import bulk_insert_tuples, bulk_update, row_key, storage_dates
from fairlend.bureau.tables import bureau_month

# A copy of the month table (same columns and key, no foreign key): the rows intake writes most.
SCRATCH = sa.Table(
    "test_bulk_month",
    sa.MetaData(),
    *(sa.Column(c.name, c.type, nullable=c.nullable) for c in bureau_month.columns),
    sa.PrimaryKeyConstraint("account_id", "month", name="pk_test_bulk_month"),
)


STATES = sa.Table(
    "test_bulk_state",
    sa.MetaData(),
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("balance", sa.Integer, nullable=False),
    sa.Column("closed_on", sa.Date),
    sa.Column("suppressed", sa.Boolean, nullable=False),
)


@pytest.fixture
def engine(container: Container) -> Iterator[sa.Engine]:
    with container.engine.begin() as conn:
        for table in (SCRATCH, STATES):
            table.drop(conn, checkfirst=True)
            table.create(conn)
    yield container.engine
    with container.engine.begin() as conn:
        SCRATCH.drop(conn)
        STATES.drop(conn)


def _row(conn: sa.Connection, account: str, cured: date | None, suppressed: bool) -> tuple[object, ...]:
    dates = storage_dates(conn)
    first = dates[date(2026, 1, 5)]
    return (account, 202601, "1", "2", "71", "", 27, 90_000, 10_000, dates[date(2026, 1, 31)], first,
            None if cured is None else dates[cured], suppressed)  # fmt: skip


def test_new_rows_are_written_with_their_dates_nulls_and_flags(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        rows = [_row(conn, "a1", None, False), _row(conn, "a2", date(2026, 1, 20), True)]
        assert bulk_insert_tuples(conn, SCRATCH, rows) == 2
    with engine.connect() as conn:
        stored = conn.execute(sa.select(SCRATCH).order_by(SCRATCH.c.account_id)).all()
    assert [(r.account_id, r.as_of, r.first_overdue_on, r.cured_on, r.suppressed) for r in stored] == [
        ("a1", date(2026, 1, 31), date(2026, 1, 5), None, False),
        ("a2", date(2026, 1, 31), date(2026, 1, 5), date(2026, 1, 20), True),
    ]
    assert stored[0][2:9] == ("1", "2", "71", "", 27, 90_000, 10_000)


def test_a_new_row_whose_key_is_held_fails_the_whole_write(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        bulk_insert_tuples(conn, SCRATCH, [_row(conn, "a1", None, False)])
    # Straight from the driver (no SQLAlchemy wrapping): the transaction rolls back, the held row stays.
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)), engine.begin() as conn:
        bulk_insert_tuples(conn, SCRATCH, [_row(conn, "a2", None, False), _row(conn, "a1", None, True)])
    with engine.connect() as conn:
        assert conn.execute(sa.select(SCRATCH.c.account_id, SCRATCH.c.suppressed)).all() == [("a1", False)]


@pytest.mark.parametrize("set_based_from", [1, 10**9], ids=["set-based", "executemany"])
def test_an_update_changes_the_rows_it_names_and_no_other_in_every_chunk(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, set_based_from: int
) -> None:
    monkeypatch.setattr(bulk, "SET_BASED_FROM", set_based_from)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(STATES), [{"id": f"s{i}", "balance": i, "closed_on": None, "suppressed": False} for i in range(4)]
        )
    with engine.begin() as conn:
        by = row_key(conn)
        keys = {r[0]: r[1] for r in conn.execute(sa.text(f"SELECT id, {by[0]} FROM {STATES.name}"))}
        dates = storage_dates(conn)
        # Two updates in one transaction, as a file's chunks are: the staging of the first must not trouble the second.
        bulk_update(
            conn,
            STATES,
            by[1],
            ("balance", "closed_on", "suppressed"),
            [(10, dates[date(2026, 2, 1)], True, keys["s1"])],
        )
        bulk_update(conn, STATES, by[1], ("balance", "closed_on", "suppressed"), [(30, None, False, keys["s3"])])
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(sa.select(STATES).order_by(STATES.c.id))]
    assert stored == [
        ("s0", 0, None, False),
        ("s1", 10, date(2026, 2, 1), True),
        ("s2", 2, None, False),
        ("s3", 30, None, False),
    ]
