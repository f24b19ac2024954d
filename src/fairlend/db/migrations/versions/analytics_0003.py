"""Analytics: the per-loan read model the measures join on instead of re-deriving the loans per statement.

- `analytics_loan`: one row per loan opened on or before the day in `analytics_loan_snapshot`:
  grade, score, opening day, currency and the first charge-off or write-off's date (NULL: none by
  then). The measures read it joined to lending's loan row by primary key (principal, settlement,
  closed amount: what moves within a day) plus, live, the loans opened and the closings dated after
  that day, instead of joining loans to offers, applications and a pass over every journal entry.
- `analytics_loan_snapshot`: one row, the day through which `analytics_loan` is complete.

Empty at creation, as analytics_0001: `fairlend analytics snapshot` (or end-of-day) fills them; until
then the page derives the loans live, as before.

Revision ID: analytics_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "analytics_0003"
down_revision: str | Sequence[str] | None = "analytics_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "analytics_loan",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("score", sa.Integer, nullable=True),
        sa.Column("open_date", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_analytics_loan"),
    )
    op.create_index("ix_analytics_loan_open_date", "analytics_loan", ["open_date"])
    op.create_table(
        "analytics_loan_snapshot",
        sa.Column("through", sa.Date, nullable=False),
        sa.Column("loans", sa.Integer, nullable=False),
        sa.Column("written_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("through", name="pk_analytics_loan_snapshot"),
    )


def downgrade() -> None:
    op.drop_table("analytics_loan_snapshot")
    op.drop_index("ix_analytics_loan_open_date", table_name="analytics_loan")
    op.drop_table("analytics_loan")
