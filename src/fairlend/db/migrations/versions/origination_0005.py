"""Origination: an application keeps the rule that set its limit, so its page says why less was granted.

Revision ID: origination_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "origination_0005"
down_revision: str | Sequence[str] | None = "origination_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loan_application") as batch:
        batch.add_column(sa.Column("limit_reason", sa.String(40), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("loan_application") as batch:
        batch.drop_column("limit_reason")
