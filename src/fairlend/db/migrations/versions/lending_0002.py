"""Lending: a repayment row says whether it was a repayment or a recovery after charge-off.

Revision ID: lending_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lending_0002"
down_revision: str | Sequence[str] | None = "lending_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loan_repayment", sa.Column("kind", sa.String(12), nullable=False, server_default="repayment"))


def downgrade() -> None:
    with op.batch_alter_table("loan_repayment") as batch:
        batch.drop_column("kind")
