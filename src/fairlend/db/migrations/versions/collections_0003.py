"""Collections: the collector's workspace.

- `call_outcome`: what a collector heard on a call (answered, no answer,
  wrong number, refused, ...), against the attempt's log row; the hash-chained
  log itself is never updated.
- `promise_to_pay`: a debtor's promise (date, amount), kept when repayments
  reach the amount by the date, broken otherwise (end-of-day
  `collections.promises`); a broken promise puts the account back in the queue.

Revision ID: collections_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "collections_0003"
down_revision: str | Sequence[str] | None = "collections_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_outcome",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("log_id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("note", sa.String(500), nullable=False, server_default=""),
        sa.Column("collector_id", sa.String(40), nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id"),
        sa.UniqueConstraint("log_id", name="uq_call_outcome_log_id"),
    )
    op.create_index("ix_call_outcome_loan_id", "call_outcome", ["loan_id"])
    op.create_table(
        "promise_to_pay",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("made_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("paid_minor", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("collector_id", sa.String(40), nullable=False),
        sa.Column("log_id", sa.String(40), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("resolved_on", sa.Date, nullable=True),
        sa.PrimaryKeyConstraint("borrower_id", "id"),
    )
    op.create_index("ix_promise_to_pay_loan_id", "promise_to_pay", ["loan_id", "status"])
    op.create_index("ix_promise_to_pay_due", "promise_to_pay", ["status", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_promise_to_pay_due", table_name="promise_to_pay")
    op.drop_index("ix_promise_to_pay_loan_id", table_name="promise_to_pay")
    op.drop_table("promise_to_pay")
    op.drop_index("ix_call_outcome_loan_id", table_name="call_outcome")
    op.drop_table("call_outcome")
