"""Foundation: outbox rows carry the transaction that wrote them; consumers keep a cursor.

`position` is handed out at INSERT, but transactions commit in another order:
a consumer that read "position > last" could pass a row whose transaction was
still open and never see it. Each row now records its writing transaction
(`xact_order`: on PostgreSQL the top-level xid8 as bigint; on SQLite, which
runs one writer at a time, 0), and each consumer stores the cursor
`(xact_order, position)` it has read through (db/outbox.py).

Rows written before this revision get `xact_order = 0`, as do the consumers'
cursors, so each consumer goes on from its old position: the old rows sort
before every new one. A downgrade keeps each consumer's position only: read
by position again, the old defect is back.

Revision ID: foundation_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "foundation_0004"
down_revision: str | Sequence[str] | None = "foundation_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default first, so that existing rows get 0 without rewriting the table.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("xact_order", sa.BigInteger, nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("outbox", "xact_order", server_default=sa.text("(pg_current_xact_id()::text::bigint)"))
    op.create_index("ix_outbox_xact_order_position", "outbox", ["xact_order", "position"])
    with op.batch_alter_table("outbox_consumer") as batch:
        batch.add_column(sa.Column("xact_order", sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox_consumer") as batch:
        batch.drop_column("xact_order")
    op.drop_index("ix_outbox_xact_order_position", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("xact_order")
