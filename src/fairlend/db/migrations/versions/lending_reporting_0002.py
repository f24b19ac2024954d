"""Lending reporting: the loans under a kept hardship plan, as the reporter follows them.

Revision ID: lending_reporting_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lending_reporting_0002"
down_revision: str | Sequence[str] | None = "lending_reporting_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lending_reporting_plan",
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("withheld_balance", sa.BigInteger(), nullable=True),
        sa.Column("withheld_overdue", sa.BigInteger(), nullable=True),
        sa.Column("withheld_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("loan_id", name="pk_lending_reporting_plan"),
    )


def downgrade() -> None:
    op.drop_table("lending_reporting_plan")
