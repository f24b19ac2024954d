"""Finance: the months closed and the requests to reopen one (maker-checker).

Revision ID: finance_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "finance_0003"
down_revision: str | Sequence[str] | None = "finance_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finance_period_close",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("closed_by", sa.String(40), nullable=False),
        sa.Column("closed_at", UtcDateTime, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("reopened_by", sa.String(80), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("month", name="pk_finance_period_close"),
    )
    op.create_table(
        "finance_reopen_request",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("requested_by", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("requested_at", UtcDateTime, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(40), nullable=False, server_default=""),
        sa.Column("decided_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_finance_reopen_request"),
    )
    op.create_index("ix_finance_reopen_request_month", "finance_reopen_request", ["month"])


def downgrade() -> None:
    op.drop_table("finance_reopen_request")
    op.drop_table("finance_period_close")
