"""The SQL the ledger posts and reads with, built once.

Posting is on every money movement's hot path, and building an INSERT (above
all the upsert's `excluded` columns) per call cost more client CPU than
executing it; so are the reads of a cached balance, which every payoff and
statement asks for. service.py uses these; nothing else should.
"""

from __future__ import annotations

from sqlalchemy import Date, bindparam, func, literal, select, text

from fairlend.db.types import UtcDateTime
from fairlend.ledger.tables import ledger_account, ledger_balance_shard, ledger_entry, ledger_posting

INSERT_ENTRY = ledger_entry.insert()
# SQLite: the accounts and postings of an entry go to the driver as tuples (`exec_driver_sql`),
# skipping SQLAlchemy's per-row parameter work, which cost more than SQLite's own for an entry of
# thousands of postings (a distribution batch pays every holder: 20,000 postings for 10,000 holders).
UPSERT_ACCOUNTS_SQLITE = (
    "INSERT INTO ledger_account (id, type, currency, owner_id, balance, created_at) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET balance = ledger_account.balance + excluded.balance"
)
INSERT_POSTINGS_SQLITE = "INSERT INTO ledger_posting (entry_id, account_id, currency, amount) VALUES (?, ?, ?, ?)"
# PostgreSQL: the whole entry in one round trip. Accounts with an owner (a
# loan's borrower, an investor) move their own row, which only that owner's
# transactions touch. The platform-wide control accounts (cash, receivables:
# the rows every repayment moves) are created if new but never updated here:
# their delta lands on one of CONTROL_SHARDS shard rows, picked per entry, so
# concurrent posts rarely wait on one another's row locks. Each set of rows is
# locked in id order, so concurrent posts never deadlock. Foreign keys are
# checked at the end of the statement, when the sibling INSERTs have created
# any new account; the deferred balance trigger still checks the entry at commit.
# A new control account is created with no conflict target (`ON CONFLICT DO NOTHING`): two entries
# creating it at once may meet on either unique index (its id, or its key), and both mean "there".
CONTROL_SHARDS = 16
POST_ENTRY_PG = text(
    """
    WITH new_entry AS (
        INSERT INTO ledger_entry (id, business_date, kind, reference, description, posted_at)
        VALUES (:entry_id, :business_date, :kind, :reference, :description, :posted_at)
    ), owned AS (
        INSERT INTO ledger_account (id, type, currency, owner_id, balance, created_at)
        SELECT a.id, a.type, a.currency, a.owner_id, a.balance, :posted_at
          FROM unnest(CAST(:own_ids AS text[]), CAST(:own_types AS text[]), CAST(:own_currencies AS text[]),
                      CAST(:own_owners AS text[]), CAST(:own_deltas AS bigint[]))
               AS a(id, type, currency, owner_id, balance)
         ORDER BY a.id
        ON CONFLICT (id) DO UPDATE SET balance = ledger_account.balance + excluded.balance
    ), controls AS (
        INSERT INTO ledger_account (id, type, currency, owner_id, balance, created_at)
        SELECT a.id, a.type, a.currency, '', 0, :posted_at
          FROM unnest(CAST(:ctl_ids AS text[]), CAST(:ctl_types AS text[]), CAST(:ctl_currencies AS text[]))
               AS a(id, type, currency)
        ON CONFLICT DO NOTHING
    ), sharded AS (
        INSERT INTO ledger_balance_shard (account_id, shard, balance)
        SELECT a.id, :shard, a.balance
          FROM unnest(CAST(:ctl_ids AS text[]), CAST(:ctl_deltas AS bigint[])) AS a(id, balance)
         ORDER BY a.id
        ON CONFLICT (account_id, shard) DO UPDATE SET balance = ledger_balance_shard.balance + excluded.balance
    )
    INSERT INTO ledger_posting (entry_id, account_id, currency, amount)
    SELECT :entry_id, p.account_id, p.currency, p.amount
      FROM unnest(CAST(:p_accounts AS text[]), CAST(:p_currencies AS text[]), CAST(:p_amounts AS bigint[]))
           WITH ORDINALITY AS p(account_id, currency, amount, n)
     ORDER BY p.n
    """
).bindparams(bindparam("business_date", type_=Date()), bindparam("posted_at", type_=UtcDateTime()))
# An account's cached balance: its own row plus its shard rows (none on SQLite,
# whose single writer has no row locks to spread).
_SHARD_SUMS = (
    select(ledger_balance_shard.c.account_id, func.sum(ledger_balance_shard.c.balance).label("balance"))
    .group_by(ledger_balance_shard.c.account_id)
    .subquery()
)
cached_balance = ledger_account.c.balance + func.coalesce(_SHARD_SUMS.c.balance, literal(0))
WITH_SHARDS = ledger_account.outerjoin(_SHARD_SUMS, _SHARD_SUMS.c.account_id == ledger_account.c.id)
CACHED_BALANCE = select(
    ledger_account.c.balance
    + select(func.coalesce(func.sum(ledger_balance_shard.c.balance), literal(0)))
    .where(ledger_balance_shard.c.account_id == ledger_account.c.id)
    .scalar_subquery()
).where(ledger_account.c.id == bindparam("id"))
BALANCE_AS_OF = (
    select(func.coalesce(func.sum(ledger_posting.c.amount), 0))
    .select_from(ledger_posting.join(ledger_entry, ledger_entry.c.id == ledger_posting.c.entry_id))
    .where(ledger_posting.c.account_id == bindparam("id"), ledger_entry.c.business_date <= bindparam("as_of"))
)
