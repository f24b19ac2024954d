"""Analytics: the month-end snapshot of the book (per loan, and the months written).

Empty at creation: `fairlend analytics snapshot` (or the next month-end's
end-of-day) fills it; until then the page computes every month live.

Revision ID: analytics_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "analytics_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("analytics",)
depends_on: str | Sequence[str] | None = "foundation_0001"

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "analytics_loan_month",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outstanding", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "month_end", "loan_id", name="pk_analytics_loan_month"),
    )
    op.create_index("ix_analytics_loan_month_month", "analytics_loan_month", ["month_end", "grade"])
    op.create_table(
        "analytics_snapshot_month",
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("loans", sa.Integer, nullable=False),
        sa.Column("written_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("month_end", name="pk_analytics_snapshot_month"),
    )


def downgrade() -> None:
    op.drop_table("analytics_snapshot_month")
    op.drop_index("ix_analytics_loan_month_month", table_name="analytics_loan_month")
    op.drop_table("analytics_loan_month")
