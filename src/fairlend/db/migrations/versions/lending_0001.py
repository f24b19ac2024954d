"""Lending: products, the loan subledger, installments, repayments, delinquency history, end-of-day.

Revision ID: lending_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import BigIntPK, Rate, UtcDateTime

revision: str = "lending_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("lending",)
depends_on: str | Sequence[str] | None = "foundation_0001"

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "loan_product",
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("code", "version", name="pk_loan_product"),
    )
    op.create_table(
        "loan",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("product_code", sa.String(40), nullable=False),
        sa.Column("product_version", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("method", sa.String(24), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("rate", Rate, nullable=False),
        sa.Column("apr", Rate, nullable=False),
        sa.Column("term", sa.Integer, nullable=False),
        sa.Column("open_date", sa.Date, nullable=False),
        sa.Column("first_due_date", sa.Date, nullable=False),
        sa.Column("maturity_date", sa.Date, nullable=False),
        sa.Column("principal", sa.BigInteger, nullable=False),
        sa.Column("installment_amount", sa.BigInteger, nullable=False),
        sa.Column("fee_amount", sa.BigInteger, nullable=False),
        sa.Column("grace_days", sa.Integer, nullable=False),
        sa.Column("penalty_daily_e10", sa.BigInteger, nullable=False),
        sa.Column("late_fee", sa.BigInteger, nullable=False),
        sa.Column("principal_outstanding", sa.BigInteger, nullable=False),
        sa.Column("principal_due", sa.BigInteger, nullable=False),
        sa.Column("interest_due", sa.BigInteger, nullable=False),
        sa.Column("accrued_interest", sa.BigInteger, nullable=False),
        sa.Column("penalty_due", sa.BigInteger, nullable=False),
        sa.Column("fees_due", sa.BigInteger, nullable=False),
        sa.Column("cur_seq", sa.Integer, nullable=False),
        sa.Column("accrual_start_day", sa.Integer, nullable=False),
        sa.Column("next_due_day", sa.Integer, nullable=True),
        sa.Column("accrual_interest", sa.BigInteger, nullable=False),
        sa.Column("oldest_due_day", sa.Integer, nullable=True),
        sa.Column("overdue_principal", sa.BigInteger, nullable=False),
        sa.Column("overdue_amount", sa.BigInteger, nullable=False),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.Column("bucket", sa.String(20), nullable=False),
        sa.Column("first_delinquency_day", sa.Integer, nullable=True),
        sa.Column("penalty_day", sa.Integer, nullable=False),
        sa.Column("settled_on", sa.Date, nullable=True),
        sa.Column("closed_amount", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_loan"),
    )
    op.create_index("ix_loan_id", "loan", ["id"], unique=True)
    op.create_index("ix_loan_state", "loan", ["state"])
    op.create_index("ix_loan_next_due_day", "loan", ["next_due_day"])
    op.create_index("ix_loan_oldest_due_day", "loan", ["oldest_due_day"])
    op.create_index("ix_loan_overdue_principal", "loan", ["overdue_principal"])
    op.create_table(
        "loan_installment",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("start_day", sa.Integer, nullable=False),
        sa.Column("due_day", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("late_day", sa.Integer, nullable=False),
        sa.Column("principal", sa.BigInteger, nullable=False),
        sa.Column("interest", sa.BigInteger, nullable=False),
        sa.Column("fee", sa.BigInteger, nullable=False),
        sa.Column("principal_paid", sa.BigInteger, nullable=False),
        sa.Column("interest_paid", sa.BigInteger, nullable=False),
        sa.Column("fee_paid", sa.BigInteger, nullable=False),
        sa.Column("billed", sa.Boolean, nullable=False),
        sa.Column("late_fee_charged", sa.Boolean, nullable=False),
        sa.Column("paid_on", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", "seq", name="pk_loan_installment"),
    )
    op.create_table(
        "loan_repayment",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("principal", sa.BigInteger, nullable=False),
        sa.Column("interest", sa.BigInteger, nullable=False),
        sa.Column("penalty", sa.BigInteger, nullable=False),
        sa.Column("fees", sa.BigInteger, nullable=False),
        sa.Column("prepayment_fee", sa.BigInteger, nullable=False),
        sa.Column("refunded", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(80), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_loan_repayment"),
    )
    op.create_index("ix_loan_repayment_loan_id", "loan_repayment", ["loan_id"])
    op.create_table(
        "loan_delinquency_transition",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("from_bucket", sa.String(20), nullable=False),
        sa.Column("to_bucket", sa.String(20), nullable=False),
        sa.Column("dpd", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_loan_delinquency_transition"),
    )
    op.create_index("ix_loan_delinquency_transition_loan_id", "loan_delinquency_transition", ["loan_id"])
    op.create_table(
        "eod_run",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_eod_run"),
    )
    op.create_index("ix_eod_run_business_date", "eod_run", ["business_date"])
    op.create_table(
        "platform_business_date",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_platform_business_date"),
    )


def downgrade() -> None:
    for table in (
        "platform_business_date",
        "eod_run",
        "loan_delinquency_transition",
        "loan_repayment",
        "loan_installment",
        "loan",
        "loan_product",
    ):
        op.drop_table(table)
