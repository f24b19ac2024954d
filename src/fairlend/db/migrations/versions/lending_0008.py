"""Lending: interest recalculation on the actual daily balance (issue 21).

Five columns on the loan, all defaulting to "not recalculated", so every loan
booked before reads as it did: the day count's year (0: no recalculation),
whether billed interest compounds, the daily rate in 1e-10 units, the current
period's extra interest in 1e-10 minor units, and the last day end-of-day
added to it.

Revision ID: lending_0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lending_0008"
down_revision: str | Sequence[str] | None = "lending_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("recalc_year_days", "recalc_compound", "recalc_daily_e10", "recalc_e10", "recalc_day")


def upgrade() -> None:
    # Plain ADD COLUMNs with constant defaults: no table rebuild on either database.
    op.add_column("loan", sa.Column("recalc_year_days", sa.SmallInteger, nullable=False, server_default="0"))
    op.add_column("loan", sa.Column("recalc_compound", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("loan", sa.Column("recalc_daily_e10", sa.BigInteger, nullable=False, server_default="0"))
    op.add_column("loan", sa.Column("recalc_e10", sa.BigInteger, nullable=False, server_default="0"))
    op.add_column("loan", sa.Column("recalc_day", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("loan") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
