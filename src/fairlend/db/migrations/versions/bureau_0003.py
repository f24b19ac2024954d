"""Bureau: a modified account's special comment (hardship plans, settled for less).

An account shows the jurisdiction profile's code while a hardship plan governs
it (Metro 2 special comment codes CO, CP, AC; cn the special transaction's
words), and once it was settled for less than its balance (Metro 2 AU; cn
减免结清). `modified_on` is the day the latest plan changed its terms.

Revision ID: bureau_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "bureau_0003"
down_revision: str | Sequence[str] | None = "bureau_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bureau_account", sa.Column("special_comment", sa.String(10), nullable=False, server_default=""))
    op.add_column("bureau_account", sa.Column("modified_on", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bureau_account") as batch:
        batch.drop_column("modified_on")
        batch.drop_column("special_comment")
