"""Lending: each loan's public answer, stored by the writes that change the loan (the read model).

`GET /api/v1/loans/{id}` served a loan by reading it and its installments and
rendering LoanPublic on every request; the answer is now rendered by the use
case that changes the loan, in its transaction, and served by one look-up
(lending/stored_answers.py, docs/performance.md). The table starts empty: a loan
without a stored answer of the current business date is rendered as before, and
`fairlend loan rebuild-answers` fills it for the loans already booked (a
migration does not render: it must do tomorrow what it did today).

Revision ID: lending_0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "lending_0011"
down_revision: str | Sequence[str] | None = "lending_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "loan_answer",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("as_of_day", sa.Integer, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_loan_answer"),
    )
    op.create_index("ix_loan_answer_loan_id", "loan_answer", ["loan_id"])


def downgrade() -> None:
    op.drop_index("ix_loan_answer_loan_id", table_name="loan_answer")
    op.drop_table("loan_answer")
