"""Market: a note's principal written down by a concession while its loan stays active (hardship plans).

Revision ID: market_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "market_0006"
down_revision: str | Sequence[str] | None = "market_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("market_note", sa.Column("written_down_minor", sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("market_note") as batch:
        batch.drop_column("written_down_minor")
