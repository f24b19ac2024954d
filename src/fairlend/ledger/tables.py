"""Ledger tables: accounts (with a cached balance), balance shards, entries and postings."""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from fairlend.db.metadata import metadata
from fairlend.db.types import BigIntPK, UtcDateTime

ledger_account = Table(
    "ledger_account",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("owner_id", String(40), nullable=False, server_default=""),
    # With the account's shard rows, a cache of sum(postings.amount); `fairlend verify` recomputes it.
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("type", "currency", "owner_id", name="uq_ledger_account_key"),
)

# The rest of a control account's cached balance, spread over shards so that
# concurrent posts on PostgreSQL do not all queue on one row lock.
ledger_balance_shard = Table(
    "ledger_balance_shard",
    metadata,
    Column("account_id", String(40), ForeignKey("ledger_account.id"), nullable=False),
    Column("shard", SmallInteger, nullable=False),
    Column("balance", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("account_id", "shard"),
)

ledger_entry = Table(
    "ledger_entry",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("business_date", Date, nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("reference", String(80), nullable=False, server_default=""),
    Column("description", String(200), nullable=False, server_default=""),
    Column("posted_at", UtcDateTime, nullable=False),
)

ledger_posting = Table(
    "ledger_posting",
    metadata,
    Column("id", BigIntPK, primary_key=True, autoincrement=True),
    Column("entry_id", String(40), ForeignKey("ledger_entry.id"), nullable=False),
    Column("account_id", String(40), ForeignKey("ledger_account.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index("ix_ledger_posting_entry_id", "entry_id"),
    Index("ix_ledger_posting_account_id", "account_id"),
)

# One row: the journal is closed through this business date (finance's period close). A trigger on
# `ledger_entry` refuses any entry dated on or before it, whoever inserts it (ledger_0001).
ledger_period_lock = Table(
    "ledger_period_lock",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("closed_through", Date, nullable=False),
)

# A closed month's postings summed per account and entry kind (ledger_0002). Written in the transaction
# that locks the month, dropped when it is reopened: nothing can post into a locked month, so the sums
# stay exact, and statements over closed months read them instead of every posting (`summaries.py`;
# `fairlend verify` adds the postings up again).
ledger_month_activity = Table(
    "ledger_month_activity",
    metadata,
    Column("month_start", Date, nullable=False),
    Column("month_end", Date, nullable=False),
    Column("account_id", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("debits", BigInteger, nullable=False),
    Column("credits", BigInteger, nullable=False),
    PrimaryKeyConstraint("month_end", "account_id", "kind"),
)
