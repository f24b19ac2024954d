"""Market: a listing is keyed by (borrower_id, id), so a sharded database keeps it on the borrower's shard.

`market_listing` was keyed by its id and unique on `offer_id` alone; Citus
refuses both without the distribution column (docs/scale-out.md §4). The key
becomes (borrower_id, id), one listing per offer becomes unique on (offer_id,
borrower_id) (an offer has one borrower: the same rule), and the id keeps a
plain index for investors, who name a listing by its id alone (ids are unique
by construction, `fairlend.ids`). Rows keep their values; SQLite alters the
key by copying the table (batch mode), which copies the CHECK constraint too.

Revision ID: market_0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "market_0007"
down_revision: str | Sequence[str] | None = "market_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rekey(key: list[str], offer: list[str]) -> None:
    with op.batch_alter_table("market_listing") as batch:
        batch.drop_constraint("pk_market_listing", type_="primary")
        batch.drop_constraint("uq_market_listing_offer_id", type_="unique")
        batch.create_primary_key("pk_market_listing", key)
        batch.create_unique_constraint("uq_market_listing_offer_id", offer)


def upgrade() -> None:
    _rekey(["borrower_id", "id"], ["offer_id", "borrower_id"])
    op.create_index("ix_market_listing_id", "market_listing", ["id"])


def downgrade() -> None:
    op.drop_index("ix_market_listing_id", table_name="market_listing")
    _rekey(["id"], ["offer_id"])
