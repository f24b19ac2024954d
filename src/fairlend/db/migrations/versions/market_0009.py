"""Market: what each holder received of each batch, one row per holder (`market_holder_batch`).

A batch summed each holder's floor shares with one `GROUP BY holder` over every
note of its loans; SQLite groups by sorting, and sorting a million rows was most
of the batch. Each note's share is now added to its holder's running row of the
batch (an upsert: a B-tree of the batch's holders, no sort), and the wallets and
the ledger entry are paid from those rows (docs/market.md, "Figures"). Batches
before this revision keep no such rows: their per-holder totals are in their
ledger entries.

Revision ID: market_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "market_0009"
down_revision: str | Sequence[str] | None = "market_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "market_holder_batch",
        sa.Column("batch_id", sa.String(40), primary_key=True),
        sa.Column("holder_id", sa.String(40), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("holder_kind", sa.String(10), nullable=False),
        sa.Column("principal_minor", sa.BigInteger, nullable=False),
        sa.Column("fee_minor", sa.BigInteger, nullable=False),
        sa.Column("net_minor", sa.BigInteger, nullable=False),
        sa.Column("recovery_fee_minor", sa.BigInteger, nullable=False),
        sa.Column("recovery_net_minor", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("market_holder_batch")
