"""Finance: the non-accrual switches by date.

End-of-day reads the day's switches (has the day run; which loans entered
non-accrual today) every day; without an index on the date each read scanned
every switch ever recorded, a cost that grew with the book's history.

Revision ID: finance_0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "finance_0007"
down_revision: str | Sequence[str] | None = "finance_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_finance_non_accrual_change_date", "finance_non_accrual_change", ["business_date"])


def downgrade() -> None:
    op.drop_index("ix_finance_non_accrual_change_date", table_name="finance_non_accrual_change")
