"""Market: distribution of repayments to notes (receipts, batches, each note's share; notes written down).

Revision ID: market_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "market_0002"
down_revision: str | Sequence[str] | None = "market_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Each distribution rewrites the day's notes' outstanding principal (no index on it): room
        # on the page lets PostgreSQL update in place (HOT) instead of touching every index.
        op.execute("ALTER TABLE market_note SET (fillfactor = 80)")
    with op.batch_alter_table("market_note") as batch:
        batch.add_column(sa.Column("charged_off_minor", sa.BigInteger, nullable=False, server_default="0"))
    op.create_table(
        "market_receipt",
        sa.Column("id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("fee_minor", sa.BigInteger, nullable=False),
        sa.Column("received_days_past_due", sa.Integer, nullable=False),
        sa.Column("batch_id", ID, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.CheckConstraint(
            "amount_minor > 0 AND principal_minor >= 0 AND principal_minor <= amount_minor "
            "AND fee_minor >= 0 AND fee_minor <= amount_minor",
            name="ck_market_receipt_amounts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_market_receipt"),
    )
    op.create_index("ix_market_receipt_loan_id", "market_receipt", ["loan_id"])
    op.create_index("ix_market_receipt_batch_id", "market_receipt", ["batch_id"])
    op.create_table(
        "market_distribution_batch",
        sa.Column("id", ID, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("receipts", sa.Integer, nullable=False),
        sa.Column("shares", sa.Integer, nullable=False),
        sa.Column("entry_ids", sa.String(400), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_market_distribution_batch"),
    )
    op.create_index("ix_market_distribution_batch_business_date", "market_distribution_batch", ["business_date"])
    op.create_table(
        "market_distribution",
        sa.Column("batch_id", ID, nullable=False),
        sa.Column("holder_id", ID, nullable=False),
        sa.Column("note_id", ID, nullable=False),
        sa.Column("holder_kind", sa.String(10), nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("fee_minor", sa.BigInteger, nullable=False),
        sa.Column("net_minor", sa.BigInteger, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("batch_id", "holder_id", "note_id", name="pk_market_distribution"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE market_note RESET (fillfactor)")
    op.drop_table("market_distribution")
    op.drop_table("market_distribution_batch")
    op.drop_table("market_receipt")
    with op.batch_alter_table("market_note") as batch:
        batch.drop_column("charged_off_minor")
