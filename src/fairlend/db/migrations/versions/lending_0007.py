"""Lending: a loan is unique by its key (borrower_id, id), not by its id alone.

The unique index `ix_loan_id` kept a sharded database from distributing the
loans on the borrower (Citus refuses a unique index without the distribution
column, docs/scale-out.md §4). Loan ids are unique by construction
(`fairlend.ids`); the index stays, not unique, for the look-ups by id alone
(operators' pages, other contexts naming a loan), which docs/scale-out.md
lists among the queries that cross shards. No foreign key names a loan:
contexts refer to loans by (borrower_id, loan_id) in their own keys.

Revision ID: lending_0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "lending_0007"
down_revision: str | Sequence[str] | None = "lending_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_loan_id", table_name="loan")
    op.create_index("ix_loan_id", "loan", ["id"])


def downgrade() -> None:
    op.drop_index("ix_loan_id", table_name="loan")
    op.create_index("ix_loan_id", "loan", ["id"], unique=True)
