"""Lending: the principal balance corrections took off a loan, so a flat loan's interest base follows them.

A flat-interest loan charges interest on its original principal. A balance
correction says that principal was booked too high, so the interest on it
was too: the flat base of every later change is the principal as disbursed
less what corrections took off (lending/changing.py, docs/lending.md "Flat
interest"). Every loan booked before has had no correction a flat loan could
take (they were refused): 0.

Revision ID: lending_0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lending_0012"
down_revision: str | Sequence[str] | None = "lending_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.add_column(sa.Column("principal_corrected", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("principal_corrected")
