"""Scoring: recorded scores (what-ifs are never stored).

Revision ID: scoring_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "scoring_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("scoring",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "score_record",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("model_version", sa.String(80), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("features", sa.JSON, nullable=False),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("borrower_id", "id", name="pk_score_record"),
    )


def downgrade() -> None:
    op.drop_table("score_record")
