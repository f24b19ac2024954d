"""Lending: end-of-day in partitions: the borrower's slot on the loan, a date's partitions as rows.

`loan.borrower_slot` is `fairlend.batch.model.slot_of(borrower_id)`: filled
here for the loans already there, by every insert afterwards. `eod_partition`
holds one row per business date and partition; `eod_run` says how a date ran.

Revision ID: lending_0006
"""

import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "lending_0006"
down_revision: str | Sequence[str] | None = "lending_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (the migration must not change if the model's constant does): fairlend.batch.model.SLOTS.
SLOTS = 1024
BATCH = 10_000


def upgrade() -> None:
    op.add_column("loan", sa.Column("borrower_slot", sa.SmallInteger, nullable=False, server_default="0"))
    conn = op.get_bind()
    loan = sa.table("loan", sa.column("borrower_id", sa.String), sa.column("borrower_slot", sa.SmallInteger))
    borrowers = [r[0] for r in conn.execute(sa.select(loan.c.borrower_id).distinct())]
    fill = (
        sa.update(loan).where(loan.c.borrower_id == sa.bindparam("b_id")).values(borrower_slot=sa.bindparam("b_slot"))
    )
    for start in range(0, len(borrowers), BATCH):
        conn.execute(
            fill,
            [{"b_id": b, "b_slot": zlib.crc32(b.encode("utf-8")) % SLOTS} for b in borrowers[start : start + BATCH]],
        )
    op.create_index("ix_loan_borrower_slot", "loan", ["borrower_slot"])
    op.add_column("eod_run", sa.Column("mode", sa.String(12), nullable=False, server_default="single"))
    op.add_column("eod_run", sa.Column("partitions", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "eod_partition",
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("number", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("of_count", sa.Integer, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=True),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("business_date", "number", name="pk_eod_partition"),
    )


def downgrade() -> None:
    op.drop_table("eod_partition")
    with op.batch_alter_table("eod_run") as batch:
        batch.drop_column("partitions")
        batch.drop_column("mode")
    op.drop_index("ix_loan_borrower_slot", table_name="loan")
    with op.batch_alter_table("loan") as batch:
        batch.drop_column("borrower_slot")
