"""Collections: the borrower's hardship request or kept plan on a loan (P-10).

Collections follows hardship's events (`hardship.RequestFiled`, `PlanStarted`,
`RequestDeclined`, `PlanBroken`, `PlanEnded`) in their own transactions and
keeps one row per loan in a request or a kept plan, which the contact policy
and the planner read.

Revision ID: collections_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "collections_0005"
down_revision: str | Sequence[str] | None = "collections_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loan_hardship",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_loan_hardship"),
    )
    op.create_index("ix_loan_hardship_loan_id", "loan_hardship", ["loan_id"])


def downgrade() -> None:
    op.drop_index("ix_loan_hardship_loan_id", table_name="loan_hardship")
    op.drop_table("loan_hardship")
