"""Lending reporting: each furnished account's state, so the Metro 2 export scans it instead of replaying history.

The state rows start empty and every stored reporting file's `folded_records`
at 0: the first export after the upgrade folds every file once, in date order
(`account_state.catch_up`), and from then on only what was added since.

Revision ID: lending_reporting_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lending_reporting_0004"
down_revision: str | Sequence[str] | None = "lending_reporting_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lending_reporting_file", sa.Column("folded_records", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "lending_reporting_account",
        sa.Column("account_ref", sa.String(80), nullable=False),
        sa.Column("opened", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("installment", sa.BigInteger(), nullable=False),
        sa.Column("borrower", sa.Text(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("past_due", sa.BigInteger(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("delinquent_since", sa.Date(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("charge_off", sa.BigInteger(), nullable=False),
        sa.Column("rating_at_close", sa.String(1), nullable=False),
        sa.Column("last_payment_on", sa.Date(), nullable=True),
        sa.Column("paid_in_month", sa.Text(), nullable=False),
        sa.Column("months", sa.Text(), nullable=False),
        sa.Column("special_comment", sa.String(2), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("account_ref", name="pk_lending_reporting_account"),
    )


def downgrade() -> None:
    op.drop_table("lending_reporting_account")
    with op.batch_alter_table("lending_reporting_file") as batch:
        batch.drop_column("folded_records")
