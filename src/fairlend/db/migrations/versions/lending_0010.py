"""Lending: multi-disbursement loans (tranches): the approved amount and how many tranches were paid out.

A loan booked with an approved amount above its first disbursement takes
further tranches up to it (lending/tranches.py, docs/lending.md "Tranches").
Every loan booked before is a single disbursement: approved 0 (none beyond
the principal), one tranche.

Revision ID: lending_0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lending_0010"
down_revision: str | Sequence[str] | None = "lending_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("approved_amount", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("tranches", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("tranches")
        batch.drop_column("approved_amount")
