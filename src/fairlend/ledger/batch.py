"""Many journal entries in one transaction, their cached balances moved once at the end.

A repayment file posts one entry per line, each with the same postings
`Ledger.post` would write, so its journal is the one the lines posted one by
one would leave. What differs is when the cached balances move: `Ledger.post`
moves the accounts (or, on PostgreSQL, a control account's shard) with every
entry, which for a file of 100,000 lines would be 100,000 updates of the
same few rows. `JournalBatch` writes the entries and postings as they come
(`add`, then `flush` per chunk: memory stays flat in the file's size), keeps
the sums per account, and moves each account once in `close`.

Lock order: the accounts a batch creates are inserted `ON CONFLICT DO NOTHING`
(no row lock on an existing account) and postings only take the foreign-key
share lock on them, so the hot rows every repayment updates (the control
accounts' shards) are taken by `close` alone, last, as `Ledger.post` is the
last write of a single repayment: a batch and single repayments never wait
for each other in opposite orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Executable, insert
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.db.uow import UnitOfWork
from fairlend.ids import new_id
from fairlend.ledger.model import AccountKey, JournalEntry
from fairlend.ledger.periods import refusing_closed_periods
from fairlend.ledger.service import account_id
from fairlend.ledger.statements import CONTROL_SHARDS
from fairlend.ledger.tables import ledger_account, ledger_balance_shard, ledger_entry, ledger_posting

_INSERT_ENTRY = insert(ledger_entry)
_INSERT_POSTINGS = insert(ledger_posting)


def _new_accounts(dialect_insert: Callable[..., Any]) -> Executable:
    # No conflict target: an account's id is its key's hash, so a row already there under either unique
    # index (`id`, `uq_ledger_account_key`) is this account. With `(id)` as the only arbiter, two
    # partitions creating the same new control account at the same instant on PostgreSQL could meet on
    # the key's index instead, which ON CONFLICT did not cover: a unique violation, the partition failed.
    stmt: Executable = dialect_insert(ledger_account).on_conflict_do_nothing()
    return stmt


def _move_accounts(dialect_insert: Callable[..., Any]) -> Executable:
    stmt = dialect_insert(ledger_account)
    moved: Executable = stmt.on_conflict_do_update(
        index_elements=[ledger_account.c.id], set_={"balance": ledger_account.c.balance + stmt.excluded.balance}
    )
    return moved


def _move_shards() -> Executable:
    stmt = postgresql.insert(ledger_balance_shard)
    moved: Executable = stmt.on_conflict_do_update(
        index_elements=[ledger_balance_shard.c.account_id, ledger_balance_shard.c.shard],
        set_={"balance": ledger_balance_shard.c.balance + stmt.excluded.balance},
    )
    return moved


_NEW_ACCOUNTS = {"postgresql": _new_accounts(postgresql.insert), "sqlite": _new_accounts(sqlite.insert)}
_MOVE_ACCOUNTS = {"postgresql": _move_accounts(postgresql.insert), "sqlite": _move_accounts(sqlite.insert)}
_MOVE_SHARDS = _move_shards()


class JournalPoster(Protocol):
    """What posts a journal entry into a transaction: the `Ledger` itself, or a `JournalBatch`."""

    def post(self, uow: UnitOfWork, journal_entry: JournalEntry) -> str: ...


class JournalBatch:
    """Entries posted into the caller's transaction; balances moved by `close`, which the caller must call."""

    def __init__(self, uow: UnitOfWork, *, shard: int = 0) -> None:
        self._uow = uow
        # One shard for the whole batch: any shard will do, a control balance is the sum of them all.
        self._shard = shard % CONTROL_SHARDS
        self._entries: list[dict[str, Any]] = []
        self._postings: list[dict[str, Any]] = []
        self._deltas: dict[str, int] = {}
        self._keys: dict[str, AccountKey] = {}
        self._known: set[str] = set()
        self.entries = 0

    def add(self, journal_entry: JournalEntry) -> str:
        """Queue one balanced entry (its `JournalEntry` refused to exist otherwise); returns its id."""
        entry_id = new_id("je")
        self._entries.append(
            {
                "id": entry_id,
                "business_date": journal_entry.business_date,
                "kind": journal_entry.kind,
                "reference": journal_entry.reference,
                "description": journal_entry.description[:200],
                "posted_at": self._uow.clock.now(),
            }
        )
        for posting in journal_entry.postings:
            acc = account_id(posting.account)
            if acc not in self._keys:
                self._keys[acc] = posting.account
                self._deltas[acc] = 0
            self._deltas[acc] += posting.amount.minor
            self._postings.append(
                {
                    "entry_id": entry_id,
                    "account_id": acc,
                    "currency": posting.amount.currency,
                    "amount": posting.amount.minor,
                }
            )
        self.entries += 1
        return entry_id

    def post(self, uow: UnitOfWork, journal_entry: JournalEntry) -> str:
        """`add`, as `Ledger.post` is called (code that posts one entry, such as a recovery, posts here)."""
        if uow is not self._uow:
            raise RuntimeError("a journal batch posts into its own unit of work only")
        return self.add(journal_entry)

    def flush(self) -> None:
        """Write the entries queued so far (and any account they name for the first time)."""
        if not self._entries:
            return
        conn = self._uow.conn
        new = sorted(acc for acc in self._keys if acc not in self._known)
        if new:
            conn.execute(_NEW_ACCOUNTS[self._uow.dialect], [self._account_row(acc, 0) for acc in new])
            self._known.update(new)
        with refusing_closed_periods():
            conn.execute(_INSERT_ENTRY, self._entries)
        conn.execute(_INSERT_POSTINGS, self._postings)
        self._entries, self._postings = [], []

    def close(self) -> None:
        """Write what is queued, then move every account the batch touched by its sum, once, in id order."""
        self.flush()
        moved = sorted((acc, delta) for acc, delta in self._deltas.items() if delta)
        if not moved:
            return
        conn = self._uow.conn
        if self._uow.dialect == "postgresql":
            owned = [self._account_row(acc, delta) for acc, delta in moved if self._keys[acc].owner_id]
            controls = [
                {"account_id": acc, "shard": self._shard, "balance": delta}
                for acc, delta in moved
                if not self._keys[acc].owner_id
            ]
            if owned:
                conn.execute(_MOVE_ACCOUNTS["postgresql"], owned)
            if controls:
                conn.execute(_MOVE_SHARDS, controls)
        else:
            conn.execute(_MOVE_ACCOUNTS[self._uow.dialect], [self._account_row(acc, delta) for acc, delta in moved])
        self._deltas = dict.fromkeys(self._deltas, 0)

    def _account_row(self, acc: str, balance: int) -> dict[str, Any]:
        key = self._keys[acc]
        return {
            "id": acc,
            "type": key.type.value,
            "currency": key.currency,
            "owner_id": key.owner_id,
            "balance": balance,
            "created_at": self._uow.clock.now(),
        }
