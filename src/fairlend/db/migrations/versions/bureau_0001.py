"""Bureau: institutions, credit files, accounts, months, records, inquiries, disputes, retention.

The bureau is a separate institution in everything but process: its tables
carry the prefix `bureau_` and nothing outside `fairlend.bureau` reads them.

Revision ID: bureau_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import BigIntPK, UtcDateTime

revision: str = "bureau_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("bureau",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "bureau_account",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("account_ref", sa.String(length=80), nullable=False),
        sa.Column("file_id", sa.String(length=40), nullable=False),
        sa.Column("account_type", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("open_date", sa.Date(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("due_schedule", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("settled_by", sa.String(length=10), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("amount_overdue", sa.BigInteger(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("account_status", sa.String(length=3), nullable=False),
        sa.Column("rating", sa.String(length=2), nullable=False),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("first_negative_on", sa.Date(), nullable=True),
        sa.Column("notice_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_account"),
        sa.UniqueConstraint("institution_id", "account_ref", name="uq_bureau_account_institution_id"),
    )
    op.create_index("ix_bureau_account_file_id", "bureau_account", ["file_id"], unique=False)
    op.create_table(
        "bureau_dispute",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("file_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("account_ref", sa.String(length=80), nullable=False),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("added_information", sa.Boolean(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_dispute"),
    )
    op.create_index("ix_bureau_dispute_account_id", "bureau_dispute", ["account_id"], unique=False)
    op.create_index("ix_bureau_dispute_file_id", "bureau_dispute", ["file_id"], unique=False)
    op.create_index(
        "ix_bureau_dispute_institution_id_status", "bureau_dispute", ["institution_id", "status"], unique=False
    )
    op.create_table(
        "bureau_file",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("blind_index", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("id_masked", sa.String(length=40), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_file"),
        sa.UniqueConstraint("blind_index", name="uq_bureau_file_blind_index"),
    )
    op.create_table(
        "bureau_inquiry",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("file_id", sa.String(length=40), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("inquired_on", sa.Date(), nullable=False),
        sa.Column("inquired_at", UtcDateTime, nullable=False),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("consent_id", sa.String(length=80), nullable=False),
        sa.Column("consent_text_version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_inquiry"),
    )
    op.create_index("ix_bureau_inquiry_file_id", "bureau_inquiry", ["file_id"], unique=False)
    op.create_table(
        "bureau_institution",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_institution"),
        sa.UniqueConstraint("key_hash", name="uq_bureau_institution_key_hash"),
    )
    op.create_table(
        "bureau_month",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("worst", sa.String(length=3), nullable=False),
        sa.Column("account_status", sa.String(length=3), nullable=False),
        sa.Column("rating", sa.String(length=2), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("amount_overdue", sa.BigInteger(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("first_overdue_on", sa.Date(), nullable=True),
        sa.Column("cured_on", sa.Date(), nullable=True),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "month", name="pk_bureau_month"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "bureau_outcome_notice",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("file_id", sa.String(length=40), nullable=False),
        sa.Column("dispute_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_outcome_notice"),
    )
    op.create_index("ix_bureau_outcome_notice_file_id", "bureau_outcome_notice", ["file_id"], unique=False)
    op.create_table(
        "bureau_record",
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=80), nullable=False),
        sa.Column("submission_id", sa.String(length=40), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("institution_id", "record_id", name="pk_bureau_record"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "bureau_retention_log",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("file_id", sa.String(length=40), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("removal_on", sa.Date(), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=False),
        sa.Column("months_removed", sa.Integer(), nullable=False),
        sa.Column("charged_off", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_retention_log"),
    )
    op.create_index("ix_bureau_retention_log_account_id", "bureau_retention_log", ["account_id"], unique=False)
    op.create_table(
        "bureau_submission",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("institution_id", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("ack", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bureau_submission"),
        sa.UniqueConstraint("institution_id", "sha256", name="uq_bureau_submission_institution_id"),
    )


def downgrade() -> None:
    for table in (
        "bureau_submission",
        "bureau_retention_log",
        "bureau_record",
        "bureau_outcome_notice",
        "bureau_month",
        "bureau_institution",
        "bureau_inquiry",
        "bureau_file",
        "bureau_dispute",
        "bureau_account",
    ):
        op.drop_table(table)
