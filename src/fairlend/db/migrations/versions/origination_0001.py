"""Origination: applications and offers (an accepted offer carries its contract).

Revision ID: origination_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import Rate, UtcDateTime

revision: str = "origination_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("origination",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "loan_application",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("score_id", sa.String(40), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=False),
        sa.Column("grade", sa.String(2), nullable=True),
        sa.Column("nominal_rate", Rate, nullable=True),
        sa.Column("limit_minor", sa.BigInteger, nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("codes", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("report_id", sa.String(40), nullable=False),
        sa.Column("consent_id", sa.String(40), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("decided_at", UtcDateTime, nullable=True),
        sa.Column("decided_by", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_loan_application"),
    )
    op.create_index("ix_loan_application_status", "loan_application", ["status"])
    op.create_table(
        "loan_offer",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("application_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("nominal_rate", Rate, nullable=False),
        sa.Column("apr", Rate, nullable=False),
        sa.Column("fee_minor", sa.BigInteger, nullable=False),
        sa.Column("schedule", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("accepted_at", UtcDateTime, nullable=True),
        sa.Column("contract_id", sa.String(40), nullable=True),
        sa.Column("loan_id", sa.String(40), nullable=True),
        sa.Column("consent_sha256", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_loan_offer"),
    )
    op.create_index("ix_loan_offer_application_id", "loan_offer", ["application_id"])


def downgrade() -> None:
    op.drop_table("loan_offer")
    op.drop_table("loan_application")
