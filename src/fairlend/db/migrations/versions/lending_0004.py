"""Lending: schedule versions (a modified loan keeps the schedule it replaced) and the delinquency hold.

A hardship plan replaces a loan's schedule; the old one stays readable in
`loan_schedule_version`. While a plan waits to be re-aged, the loan's days
past due and bucket stay as reported (`delinquency_held`).

Revision ID: lending_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import Rate, UtcDateTime

revision: str = "lending_0004"
down_revision: str | Sequence[str] | None = "lending_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    op.add_column("loan", sa.Column("schedule_version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("loan", sa.Column("delinquency_held", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "loan_schedule_version",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("replaced_on", sa.Date, nullable=False),
        sa.Column("replaced_by", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(80), nullable=False),
        sa.Column("rate", Rate, nullable=False),
        sa.Column("installments", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", "version", name="pk_loan_schedule_version"),
    )


def downgrade() -> None:
    op.drop_table("loan_schedule_version")
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("delinquency_held")
        batch.drop_column("schedule_version")
