"""Collections: the hash-chained contact log, tasks, contact persons, cease requests, complaints.

Revision ID: collections_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "collections_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("collections",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "contact_log",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("medium", sa.String(10), nullable=False),
        sa.Column("recipient_kind", sa.String(20), nullable=False),
        sa.Column("recipient_id", sa.String(80), nullable=False),
        sa.Column("recipient_masked", sa.String(80), nullable=False),
        sa.Column("recipient_tz", sa.String(60), nullable=False),
        sa.Column("number_key", sa.String(64), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("rules", sa.String(200), nullable=False),
        sa.Column("connected", sa.Boolean, nullable=False),
        sa.Column("conversation", sa.Boolean, nullable=False),
        sa.Column("collector_id", sa.String(40), nullable=False),
        sa.Column("task_id", sa.String(40), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "seq", name="pk_contact_log"),
        sa.UniqueConstraint("id", name="uq_contact_log_id"),
    )
    op.create_index("ix_contact_log_loan_id", "contact_log", ["loan_id"])
    op.create_index("ix_contact_log_at", "contact_log", ["at"])
    op.create_table(
        "contact_log_head",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", name="pk_contact_log_head"),
    )
    op.create_table(
        "collection_task",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("medium", sa.String(10), nullable=False),
        sa.Column("days_past_due", sa.Integer, nullable=False),
        sa.Column("overdue_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("priority", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("note", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_collection_task"),
        sa.UniqueConstraint("loan_id", "business_date", "step", name="uq_collection_task_loan_id"),
    )
    op.create_index("ix_collection_task_queue", "collection_task", ["business_date", "status", "priority"])
    op.create_table(
        "collection_plan_run",
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("tasks", sa.Integer, nullable=False),
        sa.Column("planned_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("business_date", name="pk_collection_plan_run"),
    )
    op.create_table(
        "settled_loan",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("settled_on", sa.Date, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "loan_id", name="pk_settled_loan"),
    )
    op.create_index("ix_settled_loan_loan_id", "settled_loan", ["loan_id"])
    op.create_table(
        "contact_person",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("relation", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("phone_sealed", sa.Text, nullable=False),
        sa.Column("phone_masked", sa.String(20), nullable=False),
        sa.Column("number_key", sa.String(64), nullable=False),
        sa.Column("timezone", sa.String(60), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("confirmed_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_contact_person"),
        sa.UniqueConstraint("id", name="uq_contact_person_id"),
    )
    op.create_table(
        "cease_request",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("medium", sa.String(10), nullable=True),
        sa.Column("number_key", sa.String(64), nullable=True),
        sa.Column("number_masked", sa.String(20), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_cease_request"),
    )
    op.create_table(
        "window_consent",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("start", sa.String(5), nullable=False),
        sa.Column("end", sa.String(5), nullable=False),
        sa.Column("given_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", name="pk_window_consent"),
    )
    op.create_table(
        "complaint",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(15), nullable=False),
        sa.Column("filed_at", UtcDateTime, nullable=False),
        sa.Column("ack_due", UtcDateTime, nullable=False),
        sa.Column("answer_due", UtcDateTime, nullable=False),
        sa.Column("acknowledged_at", UtcDateTime, nullable=True),
        sa.Column("answered_at", UtcDateTime, nullable=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("officer_id", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_complaint"),
        sa.UniqueConstraint("id", name="uq_complaint_id"),
    )
    op.create_index("ix_complaint_loan_id", "complaint", ["loan_id"])
    op.create_index("ix_complaint_status", "complaint", ["status"])
    op.create_table(
        "complaint_attachment",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("complaint_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "complaint_id", "seq", name="pk_complaint_attachment"),
    )


def downgrade() -> None:
    for table in (
        "complaint_attachment",
        "complaint",
        "window_consent",
        "cease_request",
        "contact_person",
        "settled_loan",
        "collection_plan_run",
        "collection_task",
        "contact_log_head",
        "contact_log",
    ):
        op.drop_table(table)
