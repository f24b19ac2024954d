"""Foundation: sharded cached balances for the ledger's control accounts.

Every repayment moves the same few platform-wide accounts (cash, principal
and interest receivable). With one cached-balance row each, concurrent posts
on PostgreSQL queue on those row locks until commit. Their cached balance is
now spread over several shard rows, one picked per entry, and summed on read.

Revision ID: foundation_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "foundation_0002"
down_revision: str | Sequence[str] | None = "foundation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_balance_shard",
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("shard", sa.SmallInteger, nullable=False),
        sa.Column("balance", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("account_id", "shard", name="pk_ledger_balance_shard"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_account.id"], name="fk_ledger_balance_shard_account_id_ledger_account"
        ),
    )


def downgrade() -> None:
    # Fold the shards back into the accounts' own rows before dropping them: no balance is lost.
    op.execute(
        "UPDATE ledger_account SET balance = balance + coalesce("
        "(SELECT sum(s.balance) FROM ledger_balance_shard s WHERE s.account_id = ledger_account.id), 0)"
    )
    op.drop_table("ledger_balance_shard")
