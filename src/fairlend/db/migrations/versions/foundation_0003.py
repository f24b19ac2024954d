"""Foundation: idempotency claims that a crash cannot strand, and answers sealed at rest.

A claim now carries a fencing token and a lease, and the row records whether
the request's effect committed (`effected`, written in the effect's own
transaction). Stored answers are sealed with the personal-data keys (`key_id`
names the key; "" means a clear body stored before this revision, which
`fairlend users rotate-pii-keys` seals).

Keys left `pending` before this revision cannot tell whether their request
took effect; they are marked effected, with their lease over, so a retry is
answered `409 idempotency_response_lost` and never carried out a second time.

Revision ID: foundation_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "foundation_0003"
down_revision: str | Sequence[str] | None = "foundation_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_key") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(32), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("effected", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("key_id", sa.String(20), nullable=False, server_default=""))
    op.execute(
        "UPDATE idempotency_key SET effected = true, lease_until = created_at, claim_token = 'legacy' "
        "WHERE state <> 'done'"
    )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key") as batch:
        batch.drop_column("key_id")
        batch.drop_column("effected")
        batch.drop_column("lease_until")
        batch.drop_column("claim_token")
