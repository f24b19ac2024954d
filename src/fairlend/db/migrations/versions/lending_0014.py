"""Lending: on PostgreSQL, room on each page of `loan` so end-of-day's updates stay on their page.

Every date's accrual rewrites every active loan's row (`accrued_interest`, no
index on it). With full pages PostgreSQL writes each new row version on
another page and adds an entry to each of the table's indexes; with free room
on the page the update is HOT (heap-only: no index entry, the old version
pruned on the page). Measured (docs/performance.md, "Accrual derived on
read"): on 30,000 loans, 25 HOT updates of 69,464 at fillfactor 100 against
64,006 of 134,789 at 50, and lending's date 1.5x faster. The price is disk:
the table's pages hold about half the rows.

The setting applies to pages written from now on. An existing book gets it
for every page after `VACUUM FULL loan` (or pg_repack) in a maintenance
window (docs/cli.md, `fairlend db upgrade`). SQLite has no such setting: nothing to do there.

Revision ID: lending_0014
"""

from collections.abc import Sequence

from alembic import op

revision: str = "lending_0014"
down_revision: str | Sequence[str] | None = "lending_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE loan SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE loan RESET (fillfactor)")
