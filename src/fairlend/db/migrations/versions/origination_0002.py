"""Origination: what a listing may show of an application, and the listing an offer went to.

`listing_facts` holds the anonymous facts investors may see (income and
debt-to-income bands, credit history length, verified flags, inquiries in six
months, purpose), computed when the application is scored; `listing_id` names
the marketplace listing an accepted offer waits on.

Revision ID: origination_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "origination_0002"
down_revision: str | Sequence[str] | None = "origination_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loan_application") as batch:
        batch.add_column(sa.Column("listing_facts", sa.JSON, nullable=True))
    with op.batch_alter_table("loan_offer") as batch:
        batch.add_column(sa.Column("listing_id", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loan_offer") as batch:
        batch.drop_column("listing_id")
    with op.batch_alter_table("loan_application") as batch:
        batch.drop_column("listing_facts")
