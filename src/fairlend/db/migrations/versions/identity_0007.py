"""Identity: the audit log is keyed by (person_id, id), so a sharded database keeps a person's chain on one shard.

`identity_audit` was keyed by its row id alone; each person's rows already
form a chain (person_id, seq). The key becomes (person_id, id) and the id gets
a plain index of its own (the compliance page pages on it, newest first).
PostgreSQL keeps the id's sequence as the column's default; SQLite has no
sequence outside a single-column integer key, so the writer (audit.record)
gives SQLite the next id itself, under SQLite's one-writer lock. Rows keep
their ids. docs/scale-out.md §4.

Revision ID: identity_0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "identity_0007"
down_revision: str | Sequence[str] | None = "identity_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rekey(columns: list[str]) -> None:
    with op.batch_alter_table("identity_audit") as batch:
        batch.drop_constraint("pk_identity_audit", type_="primary")
        batch.create_primary_key("pk_identity_audit", columns)


def upgrade() -> None:
    _rekey(["person_id", "id"])
    op.create_index("ix_identity_audit_id", "identity_audit", ["id"])


def downgrade() -> None:
    op.drop_index("ix_identity_audit_id", table_name="identity_audit")
    _rekey(["id"])
