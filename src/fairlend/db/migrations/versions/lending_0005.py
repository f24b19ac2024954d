"""Lending: repayment files (a payment processor's file, taken once per content) and their lines' results.

Revision ID: lending_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "lending_0005"
down_revision: str | Sequence[str] | None = "lending_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)
APPLIED = sa.text("status = 'applied'")


def upgrade() -> None:
    op.create_table(
        "repayment_file",
        sa.Column("id", ID, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("lines", sa.Integer, nullable=False),
        sa.Column("applied", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("refused", sa.Integer, nullable=False),
        sa.Column("totals", sa.JSON, nullable=False),
        sa.Column("imported_by", sa.String(40), nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repayment_file"),
    )
    op.create_index("uq_repayment_file_sha256", "repayment_file", ["sha256"], unique=True)
    op.create_table(
        "repayment_file_line",
        sa.Column("file_id", ID, nullable=False),
        sa.Column("line", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("value_date", sa.Date, nullable=True),
        sa.Column("external_reference", sa.String(80), nullable=False),
        sa.Column("repayment_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("file_id", "line", name="pk_repayment_file_line"),
    )
    op.create_index(
        "uq_repayment_file_line_applied_reference",
        "repayment_file_line",
        ["external_reference"],
        unique=True,
        sqlite_where=APPLIED,
        postgresql_where=APPLIED,
    )


def downgrade() -> None:
    op.drop_index("uq_repayment_file_line_applied_reference", table_name="repayment_file_line")
    op.drop_table("repayment_file_line")
    op.drop_index("uq_repayment_file_sha256", table_name="repayment_file")
    op.drop_table("repayment_file")
