"""Collections: every unique key carries the borrower, so a sharded database keeps it on the borrower's shard.

- `contact_log`, `contact_person`, `complaint`: the unique constraint on `id`
  alone becomes a plain index (ids are unique by construction, `fairlend.ids`;
  the keys are (borrower_id, seq) and (borrower_id, id)).
- `call_outcome` (one outcome per attempt), `collection_task` (one task per
  loan, date and step) and `promise_to_pay` (one pending promise per loan):
  the same rule, with `borrower_id` added last. A loan and an attempt have one
  borrower, so the rule is unchanged, and the leading columns still serve the
  look-ups by loan and by attempt.

Every new key is wider than the one it replaces, so existing rows satisfy it.
SQLite alters constraints by copying the table (batch mode). docs/scale-out.md §4.

Revision ID: collections_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "collections_0006"
down_revision: str | Sequence[str] | None = "collections_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
BY_ID = (
    ("contact_log", "uq_contact_log_id"),
    ("contact_person", "uq_contact_person_id"),
    ("complaint", "uq_complaint_id"),
)
WIDENED = (
    ("call_outcome", "uq_call_outcome_log_id", ["log_id"]),
    ("collection_task", "uq_collection_task_loan_id", ["loan_id", "business_date", "step"]),
)


def _one_pending(columns: list[str]) -> None:
    op.drop_index("uq_promise_to_pay_one_pending", table_name="promise_to_pay")
    op.create_index(
        "uq_promise_to_pay_one_pending",
        "promise_to_pay",
        columns,
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def upgrade() -> None:
    for table, constraint in BY_ID:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(constraint, type_="unique")
            batch.create_index(f"ix_{table}_id", ["id"])
    for table, constraint, columns in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(constraint, type_="unique")
            batch.create_unique_constraint(constraint, [*columns, "borrower_id"])
    _one_pending(["loan_id", "borrower_id"])


def downgrade() -> None:
    _one_pending(["loan_id"])
    for table, constraint, columns in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(constraint, type_="unique")
            batch.create_unique_constraint(constraint, columns)
    for table, constraint in BY_ID:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_id")
            batch.create_unique_constraint(constraint, ["id"])
