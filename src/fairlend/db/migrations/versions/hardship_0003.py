"""Hardship: every unique index carries the borrower, so a sharded database keeps it on the borrower's shard.

The unique indexes on `id` alone become plain indexes (ids are unique by
construction, `fairlend.ids`; the primary key is (borrower_id, id)). One open
request and one active plan per loan become unique on (loan, borrower): a loan
has one borrower, so the rule is the same, and the loan id stays first so the
look-up by loan keeps its index. Existing rows satisfy every new index: each
is wider than the one it replaces. docs/scale-out.md §4.

Revision ID: hardship_0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "hardship_0003"
down_revision: str | Sequence[str] | None = "hardship_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_ID = ("hardship_request", "hardship_proposal", "hardship_plan", "hardship_evidence")
ONE_PER_LOAN = (
    ("hardship_request", "ix_hardship_request_open_loan", "open_loan_id"),
    ("hardship_plan", "ix_hardship_plan_active_loan", "active_loan_id"),
)


def upgrade() -> None:
    for table in BY_ID:
        op.drop_index(f"ix_{table}_id", table_name=table)
        op.create_index(f"ix_{table}_id", table, ["id"])
    for table, name, column in ONE_PER_LOAN:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column, "borrower_id"], unique=True)


def downgrade() -> None:
    for table, name, column in ONE_PER_LOAN:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column], unique=True)
    for table in BY_ID:
        op.drop_index(f"ix_{table}_id", table_name=table)
        op.create_index(f"ix_{table}_id", table, ["id"], unique=True)
