"""Ledger: a closed month's postings summed per account and entry kind.

A year's statements summed every posting of the year and everything before it
(the opening balances): on a book of a million loans, tens of millions of rows
read for each statement. A locked month cannot change, so its sums are written
once when it is locked and read instead of its postings (`ledger.summaries`).

Revision ID: ledger_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ledger_0002"
down_revision: str | Sequence[str] | None = "ledger_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_month_activity",
        sa.Column("month_start", sa.Date, nullable=False),
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("debits", sa.BigInteger, nullable=False),
        sa.Column("credits", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("month_end", "account_id", "kind", name="pk_ledger_month_activity"),
    )


def downgrade() -> None:
    op.drop_table("ledger_month_activity")
