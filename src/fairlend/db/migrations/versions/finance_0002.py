"""Finance: non-accrual loans (FN-5) and their switches.

Revision ID: finance_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "finance_0002"
down_revision: str | Sequence[str] | None = "finance_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "finance_non_accrual",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("suspended", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_finance_non_accrual"),
    )
    op.create_index("ix_finance_non_accrual_loan_id", "finance_non_accrual", ["loan_id"], unique=True)
    op.create_table(
        "finance_non_accrual_change",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("to_state", sa.String(12), nullable=False),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", "business_date", name="pk_finance_non_accrual_change"),
    )


def downgrade() -> None:
    op.drop_table("finance_non_accrual_change")
    op.drop_table("finance_non_accrual")
