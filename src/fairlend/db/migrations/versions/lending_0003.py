"""Lending: installments indexed by the day they fall due.

End-of-day's collection planning asks for the installments due in the next
few days (reminders); without this index each ask scanned every installment,
which made planning most of end-of-day's time.

Revision ID: lending_0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "lending_0003"
down_revision: str | Sequence[str] | None = "lending_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_loan_installment_due_day", "loan_installment", ["due_day"])


def downgrade() -> None:
    op.drop_index("ix_loan_installment_due_day", table_name="loan_installment")
