"""Hardship: requests, proposals (maker-checker) and plans.

Revision ID: hardship_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import Rate, UtcDateTime

revision: str = "hardship_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("hardship",)
depends_on: str | Sequence[str] | None = "foundation_0001"

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "hardship_request",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("open_loan_id", ID, nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("income_minor", sa.BigInteger, nullable=True),
        sa.Column("expenses_minor", sa.BigInteger, nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("answer_due", sa.Date, nullable=False),
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("decline_reasons", sa.JSON, nullable=False),
        sa.Column("decided_by", sa.String(40), nullable=False),
        sa.Column("rules_version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_hardship_request"),
    )
    op.create_index("ix_hardship_request_id", "hardship_request", ["id"], unique=True)
    op.create_index("ix_hardship_request_open_loan", "hardship_request", ["open_loan_id"], unique=True)
    op.create_index("ix_hardship_request_loan_id", "hardship_request", ["loan_id"])
    op.create_index("ix_hardship_request_status_due", "hardship_request", ["status", "answer_due"])
    op.create_table(
        "hardship_proposal",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("needs_approval", sa.Boolean, nullable=False),
        sa.Column("concessions_minor", sa.BigInteger, nullable=False),
        sa.Column("apr", Rate, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("numbers", sa.JSON, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("proposed_by", sa.String(40), nullable=False),
        sa.Column("approved_by", sa.String(40), nullable=False),
        sa.Column("decided_at", UtcDateTime, nullable=True),
        sa.Column("rules_version", sa.Integer, nullable=False),
        sa.Column("kind_version", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_hardship_proposal"),
    )
    op.create_index("ix_hardship_proposal_id", "hardship_proposal", ["id"], unique=True)
    op.create_index("ix_hardship_proposal_request_id", "hardship_proposal", ["request_id"])
    op.create_table(
        "hardship_plan",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("active_loan_id", ID, nullable=True),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("proposal_id", ID, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("schedule_version", sa.Integer, nullable=False),
        sa.Column("first_seq", sa.Integer, nullable=False),
        sa.Column("delinquency_held", sa.Boolean, nullable=False),
        sa.Column("reaged_on", sa.Date, nullable=True),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("missed_due", sa.Date, nullable=True),
        sa.Column("consent_version", sa.String(60), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("accepted_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_hardship_plan"),
    )
    op.create_index("ix_hardship_plan_id", "hardship_plan", ["id"], unique=True)
    op.create_index("ix_hardship_plan_active_loan", "hardship_plan", ["active_loan_id"], unique=True)
    op.create_index("ix_hardship_plan_loan_id", "hardship_plan", ["loan_id"])
    op.create_index("ix_hardship_plan_status", "hardship_plan", ["status"])


def downgrade() -> None:
    op.drop_table("hardship_plan")
    op.drop_table("hardship_proposal")
    op.drop_table("hardship_request")
