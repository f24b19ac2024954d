"""Collections: at most one pending promise to pay per loan, enforced by the database.

The desk checked "none pending" and then inserted, in one transaction; two collectors
taking a promise on the same loan at once both passed the check (PostgreSQL, read
committed). A partial unique index makes the second insert fail, which the desk
answers as `promise_pending`.

Revision ID: collections_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "collections_0004"
down_revision: str | Sequence[str] | None = "collections_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "uq_promise_to_pay_one_pending",
        "promise_to_pay",
        ["loan_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("uq_promise_to_pay_one_pending", table_name="promise_to_pay")
