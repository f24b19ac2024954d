"""Hardship: evidence files with a request, when an offer reached the borrower, when a request was answered.

`hardship_evidence` holds a request's files sealed by identity's vault (key id
beside the blob). `hardship_proposal.offered_on` starts an offer's validity
(the profile's `offer_valid_days`); `hardship_request.answered_on` is the
first answer (an offer or a decline), what the compliance flag for a missed
answer deadline reads. Rows from before take the best date they have: an
offer's `as_of`, a decline's `decided_on`.

Revision ID: hardship_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "hardship_0002"
down_revision: str | Sequence[str] | None = "hardship_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    op.add_column("hardship_request", sa.Column("answered_on", sa.Date, nullable=True))
    op.add_column("hardship_proposal", sa.Column("offered_on", sa.Date, nullable=True))
    op.execute("UPDATE hardship_proposal SET offered_on = as_of WHERE status IN ('offered', 'accepted')")
    op.execute(
        "UPDATE hardship_request SET answered_on = COALESCE("
        " (SELECT MIN(p.offered_on) FROM hardship_proposal p WHERE p.request_id = hardship_request.id),"
        " CASE WHEN status = 'declined' THEN decided_on END)"
    )
    op.create_table(
        "hardship_evidence",
        sa.Column("borrower_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("request_id", ID, nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(40), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_hardship_evidence"),
    )
    op.create_index("ix_hardship_evidence_id", "hardship_evidence", ["id"], unique=True)
    op.create_index("ix_hardship_evidence_request_id", "hardship_evidence", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_hardship_evidence_request_id", table_name="hardship_evidence")
    op.drop_index("ix_hardship_evidence_id", table_name="hardship_evidence")
    op.drop_table("hardship_evidence")
    with op.batch_alter_table("hardship_proposal") as batch:
        batch.drop_column("offered_on")
    with op.batch_alter_table("hardship_request") as batch:
        batch.drop_column("answered_on")
