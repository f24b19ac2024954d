"""Market: investors, wallets, cash movements, listings, commitments and notes.

Revision ID: market_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import Rate, UtcDateTime

revision: str = "market_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("market",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "market_investor",
        sa.Column("investor_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("agreement_version", sa.String(60), nullable=False),
        sa.Column("agreed_at", UtcDateTime, nullable=False),
        sa.Column("net_worth_minor", sa.BigInteger, nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("investor_id", name="pk_market_investor"),
    )
    op.create_table(
        "market_wallet",
        sa.Column("investor_id", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cash_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("committed_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("committed_minor >= 0 AND cash_minor >= committed_minor", name="ck_market_wallet_covered"),
        sa.PrimaryKeyConstraint("investor_id", name="pk_market_wallet"),
    )
    op.create_table(
        "market_cash_movement",
        sa.Column("investor_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("rail_reference", sa.String(80), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("settled_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("investor_id", "id", name="pk_market_cash_movement"),
    )
    op.create_table(
        "market_listing",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("offer_id", sa.String(40), nullable=False),
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("contract_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("funded_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("fee_minor", sa.BigInteger, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("nominal_rate", Rate, nullable=False),
        sa.Column("rate_e6", sa.BigInteger, nullable=False),
        sa.Column("apr", Rate, nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("partial_ok", sa.Boolean, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("listed_at", UtcDateTime, nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=True),
        sa.Column("loan_id", sa.String(40), nullable=True),
        sa.Column("loan_amount_minor", sa.BigInteger, nullable=True),
        sa.CheckConstraint(
            "funded_minor >= 0 AND funded_minor <= amount_minor", name="ck_market_listing_not_overfunded"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_market_listing"),
        sa.UniqueConstraint("offer_id", name="uq_market_listing_offer_id"),
    )
    op.create_index("ix_market_listing_status_deadline", "market_listing", ["status", "deadline"])
    op.create_table(
        "market_commitment",
        sa.Column("investor_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("listing_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("amount_minor > 0", name="ck_market_commitment_positive"),
        sa.PrimaryKeyConstraint("investor_id", "id", name="pk_market_commitment"),
    )
    op.create_index("ix_market_commitment_listing_id", "market_commitment", ["listing_id"])
    op.create_table(
        "market_note",
        sa.Column("holder_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("holder_kind", sa.String(10), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("listing_id", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("outstanding_minor", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.CheckConstraint("principal_minor > 0 AND outstanding_minor >= 0", name="ck_market_note_amounts"),
        sa.PrimaryKeyConstraint("holder_id", "id", name="pk_market_note"),
    )
    op.create_index("ix_market_note_loan_id", "market_note", ["loan_id"])


def downgrade() -> None:
    op.drop_table("market_note")
    op.drop_table("market_commitment")
    op.drop_table("market_listing")
    op.drop_table("market_cash_movement")
    op.drop_table("market_wallet")
    op.drop_table("market_investor")
