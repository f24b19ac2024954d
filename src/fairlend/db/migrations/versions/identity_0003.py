"""Identity: indexes for reading the audit log by actor and by date (the compliance page).

Revision ID: identity_0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "identity_0003"
down_revision: str | Sequence[str] | None = "identity_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Newest first for one actor is one backward range scan; by date, a range of `at`.
    op.create_index("ix_identity_audit_actor_id", "identity_audit", ["actor_id", "id"])
    op.create_index("ix_identity_audit_at", "identity_audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_identity_audit_at", table_name="identity_audit")
    op.drop_index("ix_identity_audit_actor_id", table_name="identity_audit")
