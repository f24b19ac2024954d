"""Finance: each month-end's PD and LGD per grade, which the loans' provisions join.

The month's provisions read each loan's grade (stored by lending since
lending_0009) and look its 12-month PD and LGD up here: one index probe per
loan instead of a 35-way comparison evaluated in the statement (which cost
as much as writing the row on SQLite). The rows stay as the month's
parameters: which PD and LGD every grade carried when the month was provisioned.

Revision ID: finance_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "finance_0005"
down_revision: str | Sequence[str] | None = "finance_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finance_grade_risk",
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("grade", sa.String(4), nullable=False),
        sa.Column("pd_e6", sa.Integer, nullable=False),
        sa.Column("lgd_e4", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("month_end", "grade", name="pk_finance_grade_risk"),
    )


def downgrade() -> None:
    op.drop_table("finance_grade_risk")
