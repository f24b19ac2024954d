"""Market: auto-invest (rules, the rotation's cursor, what each pass invested).

Revision ID: market_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import Rate, UtcDateTime

revision: str = "market_0003"
down_revision: str | Sequence[str] | None = "market_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "market_autoinvest_rule",
        sa.Column("investor_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("grades", sa.JSON, nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("min_rate", Rate, nullable=False),
        sa.Column("max_rate", Rate, nullable=False),
        sa.Column("min_rate_e6", sa.BigInteger, nullable=False),
        sa.Column("max_rate_e6", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("borrower_share", Rate, nullable=False),
        sa.Column("reserve_minor", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.CheckConstraint(
            "amount_minor > 0 AND reserve_minor >= 0 AND min_rate_e6 <= max_rate_e6",
            name="ck_market_autoinvest_rule_amounts",
        ),
        sa.PrimaryKeyConstraint("investor_id", "id", name="pk_market_autoinvest_rule"),
    )
    op.create_table(
        "market_autoinvest_cursor",
        sa.Column("investor_id", ID, nullable=False),
        sa.Column("last_turn", sa.BigInteger, nullable=False),
        sa.Column("served_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("investor_id", name="pk_market_autoinvest_cursor"),
    )
    op.create_index("ix_market_autoinvest_cursor_last_turn", "market_autoinvest_cursor", ["last_turn"])
    op.create_table(
        "market_autoinvest_investment",
        sa.Column("investor_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("listing_id", ID, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("first_turn", sa.BigInteger, nullable=False),
        sa.Column("last_turn", sa.BigInteger, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("investor_id", "id", name="pk_market_autoinvest_investment"),
    )
    op.create_index("ix_market_autoinvest_investment_listing_id", "market_autoinvest_investment", ["listing_id"])


def downgrade() -> None:
    op.drop_table("market_autoinvest_investment")
    op.drop_table("market_autoinvest_cursor")
    op.drop_table("market_autoinvest_rule")
