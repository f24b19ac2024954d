"""Lending reporting: the day's Metro 2 file, sealed, and the accounts furnished as disputed.

Revision ID: lending_reporting_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "lending_reporting_0003"
down_revision: str | Sequence[str] | None = "lending_reporting_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lending_reporting_metro2",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("business_date", name="pk_lending_reporting_metro2"),
    )
    op.create_table(
        "lending_reporting_compliance",
        sa.Column("loan_id", sa.String(80), nullable=False),
        sa.Column("code", sa.String(2), nullable=False),
        sa.PrimaryKeyConstraint("loan_id", name="pk_lending_reporting_compliance"),
    )


def downgrade() -> None:
    op.drop_table("lending_reporting_compliance")
    op.drop_table("lending_reporting_metro2")
