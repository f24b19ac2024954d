"""Identity: send budgets for one-time codes, and log-in throttling instead of account lock-out.

One-time codes remember which client asked (`client_index`, a blind index of its
address) so one client cannot have codes sent to many numbers (SMS pumping), and
are counted platform-wide. Failed operator log-ins are kept for 15 minutes by
name and by client (`identity_login_failure`): the throttle refuses a client
that keeps failing, never the account, so nobody can lock the admin out. The
operator's lock-out columns go.

Revision ID: identity_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fairlend.db.types import BigIntPK, UtcDateTime

revision: str = "identity_0005"
down_revision: str | Sequence[str] | None = "identity_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identity_otp") as batch:
        batch.add_column(sa.Column("client_index", sa.String(64), nullable=True))
    op.create_index("ix_identity_otp_client_created", "identity_otp", ["client_index", "created_at"])
    op.create_index("ix_identity_otp_created", "identity_otp", ["created_at"])
    op.create_table(
        "identity_login_failure",
        sa.Column("id", BigIntPK, autoincrement=True),
        sa.Column("name_index", sa.String(64), nullable=False),
        sa.Column("client_index", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_login_failure"),
    )
    op.create_index("ix_identity_login_failure_name", "identity_login_failure", ["name_index", "at"])
    op.create_index("ix_identity_login_failure_client", "identity_login_failure", ["client_index", "at"])
    op.create_index("ix_identity_login_failure_at", "identity_login_failure", ["at"])
    with op.batch_alter_table("identity_operator") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("identity_operator") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_table("identity_login_failure")
    op.drop_index("ix_identity_otp_created", table_name="identity_otp")
    op.drop_index("ix_identity_otp_client_created", table_name="identity_otp")
    with op.batch_alter_table("identity_otp") as batch:
        batch.drop_column("client_index")
