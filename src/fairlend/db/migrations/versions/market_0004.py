"""Market: the secondary market (sale orders, trades); a note sold whole keeps its row at principal zero.

Revision ID: market_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "market_0004"
down_revision: str | Sequence[str] | None = "market_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)
# The name market_0001 gave it (the naming convention prefixed the name it was given).
NOTE_CHECK = "ck_market_note_ck_market_note_amounts"


def _note_check(expression: str) -> None:
    with op.batch_alter_table("market_note") as batch:
        batch.drop_constraint(op.f(NOTE_CHECK), type_="check")
        batch.create_check_constraint(op.f(NOTE_CHECK), expression)


def upgrade() -> None:
    _note_check("principal_minor >= 0 AND outstanding_minor >= 0")
    op.create_table(
        "market_sale_order",
        sa.Column("id", ID, nullable=False),
        sa.Column("seller_id", ID, nullable=False),
        sa.Column("note_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("listing_id", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=True),
        sa.Column("premium_bps", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("status_at_listing", sa.String(20), nullable=False),
        sa.Column("listed_on", sa.Date, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("buyer_id", ID, nullable=True),
        sa.CheckConstraint("amount_minor IS NULL OR amount_minor > 0", name="ck_market_sale_order_amount"),
        sa.PrimaryKeyConstraint("id", name="pk_market_sale_order"),
    )
    op.create_index("ix_market_sale_order_seller_id", "market_sale_order", ["seller_id"])
    op.create_index("ix_market_sale_order_status", "market_sale_order", ["status", "id"])
    op.create_index(
        "uq_market_sale_order_open_note",
        "market_sale_order",
        ["note_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "market_trade",
        sa.Column("id", ID, nullable=False),
        sa.Column("order_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("seller_id", ID, nullable=False),
        sa.Column("buyer_id", ID, nullable=False),
        sa.Column("note_id", ID, nullable=False),
        sa.Column("buyer_note_id", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("charged_off_minor", sa.BigInteger, nullable=False),
        sa.Column("accrued_minor", sa.BigInteger, nullable=False),
        sa.Column("premium_bps", sa.Integer, nullable=False),
        sa.Column("price_minor", sa.BigInteger, nullable=False),
        sa.Column("sale_status", sa.String(20), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.CheckConstraint(
            "price_minor > 0 AND principal_minor >= 0 AND charged_off_minor >= 0 "
            "AND principal_minor + charged_off_minor > 0",
            name="ck_market_trade_amounts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_market_trade"),
        sa.UniqueConstraint("order_id", name="uq_market_trade_order_id"),
    )
    op.create_index("ix_market_trade_seller_id", "market_trade", ["seller_id"])
    op.create_index("ix_market_trade_buyer_id", "market_trade", ["buyer_id"])


def downgrade() -> None:
    op.drop_table("market_trade")
    op.drop_table("market_sale_order")
    _note_check("principal_minor > 0 AND outstanding_minor >= 0")
