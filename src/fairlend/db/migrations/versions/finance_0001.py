"""Finance: loan classification (current class and its changes), provisions per loan and segment,
the allowance's uses (write-offs, recoveries).

Revision ID: finance_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "finance_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("finance",)
depends_on: str | Sequence[str] | None = "foundation_0001"

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "finance_loan_class",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("class_code", sa.String(20), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_finance_loan_class"),
    )
    op.create_index("ix_finance_loan_class_loan_id", "finance_loan_class", ["loan_id"], unique=True)
    op.create_table(
        "finance_class_change",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("from_class", sa.String(20), nullable=False),
        sa.Column("to_class", sa.String(20), nullable=False),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.Column("restructured", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", "business_date", name="pk_finance_class_change"),
    )
    op.create_index("ix_finance_class_change_date", "finance_class_change", ["business_date"])
    op.create_table(
        "finance_provision_loan",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("class_code", sa.String(20), nullable=False),
        sa.Column("grade", sa.String(4), nullable=False),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.Column("remaining_months", sa.Integer, nullable=False),
        sa.Column("pd_e6", sa.Integer, nullable=False),
        sa.Column("lgd_e4", sa.Integer, nullable=False),
        sa.Column("rate_e8", sa.BigInteger, nullable=False),
        sa.Column("ead", sa.BigInteger, nullable=False),
        sa.Column("ecl", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "month_end", "loan_id", name="pk_finance_provision_loan"),
    )
    op.create_index(
        "ix_finance_provision_loan_month", "finance_provision_loan", ["month_end", "currency", "class_code"]
    )
    op.create_table(
        "finance_provision_segment",
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("segment", sa.String(20), nullable=False),
        sa.Column("loans", sa.Integer, nullable=False),
        sa.Column("ead", sa.BigInteger, nullable=False),
        sa.Column("opening", sa.BigInteger, nullable=False),
        sa.Column("charge", sa.BigInteger, nullable=False),
        sa.Column("write_offs", sa.BigInteger, nullable=False),
        sa.Column("recoveries", sa.BigInteger, nullable=False),
        sa.Column("closing", sa.BigInteger, nullable=False),
        sa.Column("entry_id", sa.String(40), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("month_end", "currency", "segment", name="pk_finance_provision_segment"),
    )
    op.create_table(
        "finance_allowance_use",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("segment", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_finance_allowance_use"),
    )
    op.create_index("ix_finance_allowance_use_date", "finance_allowance_use", ["business_date"])


def downgrade() -> None:
    for table in (
        "finance_allowance_use",
        "finance_provision_segment",
        "finance_provision_loan",
        "finance_class_change",
        "finance_loan_class",
    ):
        op.drop_table(table)
