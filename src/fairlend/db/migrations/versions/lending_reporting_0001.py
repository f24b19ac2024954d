"""Lending reporting: the lender side's daily reporting files.

Revision ID: lending_reporting_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "lending_reporting_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("lending_reporting",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "lending_reporting_file",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("submitted_at", UtcDateTime, nullable=True),
        sa.Column("ack", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("business_date", name="pk_lending_reporting_file"),
    )


def downgrade() -> None:
    op.drop_table("lending_reporting_file")
