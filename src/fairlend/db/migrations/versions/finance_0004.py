"""Finance: a loan's class and its non-accrual row are unique by their key, not by loan id alone.

Both tables are keyed by (borrower_id, loan_id); the extra unique index on
`loan_id` alone kept a sharded database from placing them on the borrower's
shard (docs/scale-out.md §4). A loan has one borrower, so the key already
allows one row per loan. The index stays, not unique, for look-ups by loan.

Revision ID: finance_0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "finance_0004"
down_revision: str | Sequence[str] | None = "finance_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("finance_loan_class", "ix_finance_loan_class_loan_id"),
    ("finance_non_accrual", "ix_finance_non_accrual_loan_id"),
)


def _rebuild(unique: bool) -> None:
    for table, name in INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, ["loan_id"], unique=unique)


def upgrade() -> None:
    _rebuild(unique=False)


def downgrade() -> None:
    _rebuild(unique=True)
