"""Identity: the development message sender keeps what it sent in the database.

Several server processes (`fairlend serve --workers N`) must list the same
development codes; a list in one process's memory showed each process's own.
Development and test only: production sends through a gateway and writes nothing here.

Revision ID: identity_0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import BigIntPK, UtcDateTime

revision: str = "identity_0006"
down_revision: str | Sequence[str] | None = "identity_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_dev_message",
        sa.Column("id", BigIntPK, nullable=False, autoincrement=True),
        sa.Column("phone_index", sa.String(64), nullable=False),
        sa.Column("masked_phone", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_dev_message"),
    )
    op.create_index("ix_identity_dev_message_phone_index", "identity_dev_message", ["phone_index"])


def downgrade() -> None:
    op.drop_index("ix_identity_dev_message_phone_index", table_name="identity_dev_message")
    op.drop_table("identity_dev_message")
