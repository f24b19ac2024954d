"""Origination: the contract text version an accepted offer was agreed under.

Revision ID: origination_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "origination_0003"
down_revision: str | Sequence[str] | None = "origination_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loan_offer") as batch:
        batch.add_column(sa.Column("contract_version", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loan_offer") as batch:
        batch.drop_column("contract_version")
