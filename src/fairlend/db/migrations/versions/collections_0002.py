"""Collections: record first, send after; personal data sealed at rest.

- `contact_log.resolves`: an outcome row names the DISPATCHING attempt it
  resolves (a message is recorded before it is sent, its outcome after).
- `contact_dispatch`: messages recorded but not yet resolved, with their
  address and exact text sealed, so a dispatcher can finish or expire what a
  crash left behind.
- `contact_log.text_sealed`, `complaint.sealed`, `complaint_attachment.sealed`,
  `contact_person.name_sealed`: texts, complaints, files and names sealed by
  the PII vault. Rows written before stay readable; `fairlend users
  rotate-pii-keys` seals them.
- `complaint.extended_at` / `extension_note`: the one extension CN-22 and
  US-19 allow, told to the borrower.

Revision ID: collections_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import UtcDateTime

revision: str = "collections_0002"
down_revision: str | Sequence[str] | None = "collections_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_log") as batch:
        # "dispatching" does not fit the ten characters the first outcomes needed.
        batch.alter_column("outcome", type_=sa.String(12), existing_type=sa.String(10), existing_nullable=False)
        batch.add_column(sa.Column("resolves", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("text_sealed", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "contact_dispatch",
        sa.Column("borrower_id", sa.String(40), nullable=False),
        sa.Column("log_id", sa.String(40), nullable=False),
        sa.Column("loan_id", sa.String(40), nullable=False),
        sa.Column("medium", sa.String(10), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("last_try_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("borrower_id", "log_id"),
    )
    op.create_index("ix_contact_dispatch_created_at", "contact_dispatch", ["created_at"])
    with op.batch_alter_table("contact_person") as batch:
        batch.add_column(sa.Column("name_sealed", sa.Text, nullable=True))
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("sealed", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("extended_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("extension_note", sa.Text, nullable=True))
    with op.batch_alter_table("complaint_attachment") as batch:
        batch.add_column(sa.Column("sealed", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("complaint_attachment") as batch:
        batch.drop_column("sealed")
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("extension_note")
        batch.drop_column("extended_at")
        batch.drop_column("sealed")
    with op.batch_alter_table("contact_person") as batch:
        batch.drop_column("name_sealed")
    op.drop_index("ix_contact_dispatch_created_at", table_name="contact_dispatch")
    op.drop_table("contact_dispatch")
    with op.batch_alter_table("contact_log") as batch:
        batch.drop_column("text_sealed")
        batch.drop_column("resolves")
        batch.alter_column("outcome", type_=sa.String(10), existing_type=sa.String(12), existing_nullable=False)
