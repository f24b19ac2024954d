"""lending_0014: on PostgreSQL, end-of-day's update of every loan stays on the loan's page (a HOT update)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fairlend.db.engine import make_engine
from tests.db.test_shard_keys_migration import _insert

pytestmark = pytest.mark.backends("postgresql")

LOANS = 400


def _pages(conn: sa.Connection) -> dict[str, int]:
    """Each loan's page: the block of its row version's ctid."""
    rows = conn.execute(sa.text("SELECT id, (ctid::text::point)[0]::int AS page FROM loan"))
    return {r.id: r.page for r in rows}


def test_the_loan_table_keeps_half_of_each_page_free(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        options = conn.execute(sa.text("SELECT reloptions FROM pg_class WHERE relname = 'loan'")).scalar_one()
    engine.dispose()
    assert "fillfactor=50" in (options or [])


def test_a_day_s_accrual_over_every_loan_rewrites_no_row_on_another_page(database_url: str) -> None:
    # With full pages each new row version lands on another page and adds an entry to all of
    # the table's indexes; with room on its page it stays there (heap-only), indexes untouched.
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for i in range(LOANS):
            _insert(conn, "loan", borrower_id=f"brw_{i:04d}", id=f"loan_{i:04d}", borrower_slot=1)
    with engine.connect() as conn:
        before = _pages(conn)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE loan SET accrued_interest = accrued_interest + 1"))
    with engine.connect() as conn:
        after = _pages(conn)
        pages = conn.execute(sa.text("SELECT pg_relation_size('loan') / current_setting('block_size')::int")).scalar()
    engine.dispose()
    assert len(set(before.values())) > 2, "the loans must fill several pages for the test to mean anything"
    assert after == before, f"{sum(after[k] != v for k, v in before.items())} rows moved page ({pages} pages)"
