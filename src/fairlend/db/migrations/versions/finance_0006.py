"""Finance: a loan's current class is its latest change row, flagged, not a second table.

Classification wrote two rows per move: the change (history) and the loan's
current class (`finance_loan_class`, deleted and inserted again). The current
class is the latest change when that change left the profile's first class, so
it is now a flag on that row (`latest` = 1), with a unique partial index over the
flagged rows (one current class per loan) that covers their readers on PostgreSQL (the daily join never reads the
history), and a move writes one row (issue #19: month-end's worst case, a book
classified for the first time, wrote three rows per loan).
Every current row was written from its change row of the same day (`since` is
its `business_date`), so the upgrade flags exactly those rows and loses nothing.

Revision ID: finance_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "finance_0006"
down_revision: str | Sequence[str] | None = "finance_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LATEST = "latest = 1"


def upgrade() -> None:
    op.add_column("finance_class_change", sa.Column("latest", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE finance_class_change SET latest = 1 WHERE EXISTS (SELECT 1 FROM finance_loan_class l"
        " WHERE l.borrower_id = finance_class_change.borrower_id AND l.loan_id = finance_class_change.loan_id"
        " AND l.since = finance_class_change.business_date)"
    )
    op.create_index(
        "ix_finance_class_change_latest",
        "finance_class_change",
        ["borrower_id", "loan_id"],
        unique=True,
        postgresql_include=["to_class"],
        sqlite_where=sa.text(LATEST),
        postgresql_where=sa.text(LATEST),
    )
    op.drop_index("ix_finance_loan_class_loan_id", table_name="finance_loan_class")
    op.drop_table("finance_loan_class")


def downgrade() -> None:
    op.create_table(
        "finance_loan_class",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("class_code", sa.String(20), nullable=False),
        sa.Column("since", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_finance_loan_class"),
    )
    op.create_index("ix_finance_loan_class_loan_id", "finance_loan_class", ["loan_id"])
    op.execute(
        "INSERT INTO finance_loan_class (borrower_id, loan_id, currency, class_code, since)"
        " SELECT borrower_id, loan_id, currency, to_class, business_date FROM finance_class_change WHERE latest = 1"
    )
    op.drop_index("ix_finance_class_change_latest", table_name="finance_class_change")
    with op.batch_alter_table("finance_class_change") as batch:
        batch.drop_column("latest")
