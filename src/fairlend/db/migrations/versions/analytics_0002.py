"""Analytics: the read models the page still computed per request (roll pairs, monthly contact attempts, default dates).

- `analytics_loan_month.prev_status`: the loan's status at the month-end before (NULL: no row then),
  so the roll rates are one grouped read instead of the month-ends joined to themselves;
  `analytics_snapshot_month.rolls`: whether that month-end was stored when this one was written
  (only then is `prev_status` complete).
- `analytics_attempt_month` / `analytics_attempt_snapshot`: contact attempts per calendar month
  (UTC instants, as the live count), by outcome, rules and collector, and the months written.
- `analytics_loan_default`: each loan's default date (the first day more than 90 days past due, or
  its charge-off) once it happened on or before a stored month-end; `analytics_snapshot_month.defaults`:
  whether every default on or before that month-end is stored (the reader computes only later ones).

Empty at creation, as analytics_0001: `fairlend analytics snapshot` (or end-of-day) fills them; until
then the page computes those months live. Existing month-ends get `rolls` false, so they are read as
before until the backfill rewrites them.

Revision ID: analytics_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "analytics_0002"
down_revision: str | Sequence[str] | None = "analytics_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    with op.batch_alter_table("analytics_loan_month") as batch:
        batch.add_column(sa.Column("prev_status", sa.String(20), nullable=True))
    with op.batch_alter_table("analytics_snapshot_month") as batch:
        batch.add_column(sa.Column("rolls", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("defaults", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "analytics_attempt_month",
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("rules", sa.String(200), nullable=False),
        sa.Column("collector_id", ID, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("month_end", "outcome", "rules", "collector_id", name="pk_analytics_attempt_month"),
    )
    op.create_table(
        "analytics_attempt_snapshot",
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("written_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("month_end", name="pk_analytics_attempt_snapshot"),
    )
    op.create_table(
        "analytics_loan_default",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("default_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_analytics_loan_default"),
    )


def downgrade() -> None:
    op.drop_table("analytics_loan_default")
    op.drop_table("analytics_attempt_snapshot")
    op.drop_table("analytics_attempt_month")
    with op.batch_alter_table("analytics_snapshot_month") as batch:
        batch.drop_column("defaults")
        batch.drop_column("rolls")
    with op.batch_alter_table("analytics_loan_month") as batch:
        batch.drop_column("prev_status")
