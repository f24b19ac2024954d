"""Origination: the day's self-check, kept so looking again the same day asks the bureau nothing.

One row per person (the latest), its report and score sealed with identity's keys.

Revision ID: origination_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "origination_0004"
down_revision: str | Sequence[str] | None = "origination_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_check",
        sa.Column("borrower_id", sa.String(40), primary_key=True),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("fetched_at", UtcDateTime, nullable=False),
        sa.Column("score_id", sa.String(40), nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("self_check")
