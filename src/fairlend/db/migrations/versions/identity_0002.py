"""Identity: session revocation (log-out and revoke-all end tokens before they expire).

Revision ID: identity_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "identity_0002"
down_revision: str | Sequence[str] | None = "identity_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "identity_session_revocation",
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("token_id", ID, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "token_id", name="pk_identity_session_revocation"),
    )
    op.create_index("ix_identity_session_revocation_expires_at", "identity_session_revocation", ["expires_at"])


def downgrade() -> None:
    # Nothing else refers to it; without it tokens are again ended only by their expiry.
    op.drop_table("identity_session_revocation")
