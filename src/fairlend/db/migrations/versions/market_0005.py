"""Market: the ECSP safeguards (MK-4): an investor's entry test and loss-bearing simulation.

Revision ID: market_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "market_0005"
down_revision: str | Sequence[str] | None = "market_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("market_investor", sa.Column("ecsp_test_score", sa.Integer, nullable=True))
    op.add_column("market_investor", sa.Column("ecsp_test_passed_at", UtcDateTime, nullable=True))
    op.add_column("market_investor", sa.Column("ecsp_net_worth_minor", sa.BigInteger, nullable=True))
    op.add_column("market_investor", sa.Column("ecsp_loss_capacity_minor", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market_investor") as batch:
        batch.drop_column("ecsp_loss_capacity_minor")
        batch.drop_column("ecsp_net_worth_minor")
        batch.drop_column("ecsp_test_passed_at")
        batch.drop_column("ecsp_test_score")
