"""Ledger use cases: posting journal entries, reading balances, verifying.

`post` joins the caller's unit of work (a repayment, a disbursement) and never
commits: the money movement commits or rolls back with the change it belongs
to. Reading and verifying open their own read-only unit of work.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, func, literal, select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.ids import new_id
from fairlend.ledger import summaries
from fairlend.ledger.model import AccountKey, AccountType, JournalEntry
from fairlend.ledger.periods import refusing_closed_periods
from fairlend.ledger.statements import (
    BALANCE_AS_OF,
    CACHED_BALANCE,
    CONTROL_SHARDS,
    INSERT_ENTRY,
    INSERT_POSTINGS_SQLITE,
    POST_ENTRY_PG,
    UPSERT_ACCOUNTS_SQLITE,
    WITH_SHARDS,
    cached_balance,
)
from fairlend.ledger.tables import ledger_account, ledger_entry, ledger_posting
from fairlend.money import Money

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


@lru_cache(maxsize=65_536)
def account_id(key: AccountKey) -> str:
    """A stable id for an account key, so posting needs no look-up first (cached: keys repeat on every post)."""
    digest = int.from_bytes(hashlib.sha256(f"{key.type}|{key.currency}|{key.owner_id}".encode()).digest()[:17])
    body = "".join(_ALPHABET[(digest >> (5 * i)) & 31] for i in range(26))
    return f"acc_{body}"


@dataclass(frozen=True, slots=True)
class AccountBalance:
    key: AccountKey
    balance: Money  # raw: debit positive


@dataclass(frozen=True, slots=True)
class AccountPosting:
    """One posting to one account, with its entry's date, kind and reference (an account's statement line)."""

    entry_id: str
    business_date: date
    kind: str
    reference: str
    amount: Money  # raw: debit positive


@dataclass(frozen=True, slots=True)
class Discrepancy:
    check: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.detail}"


def _sqlite_instant(instant: datetime) -> str:
    """An instant as SQLAlchemy's SQLite dialect stores a `UtcDateTime` (the driver's own adapter differs)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _pick_shard() -> int:
    """Any shard will do: a control account's balance is the sum of them all."""
    return random.randrange(CONTROL_SHARDS)


class Ledger:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    # -- writing (inside the caller's transaction) ---------------------------

    def post(self, uow: UnitOfWork, journal_entry: JournalEntry) -> str:
        """Record a balanced entry and move the cached balances; returns its id.

        On PostgreSQL the account rows it moves are the ones every posting
        locks (cash, receivables), held until commit: callers on hot paths make
        this their last write so the lock is held for as short a time as possible.
        """
        deltas: dict[str, list[Any]] = {}
        for posting in journal_entry.postings:
            acc = account_id(posting.account)
            if acc in deltas:
                deltas[acc][1] += posting.amount.minor
            else:
                deltas[acc] = [posting.account, posting.amount.minor]
        postings = [(account_id(p.account), p.amount.currency, p.amount.minor) for p in journal_entry.postings]
        return self._write(
            uow,
            journal_entry.business_date,
            journal_entry.kind,
            journal_entry.reference,
            journal_entry.description,
            sorted(deltas.items()),
            postings,
        )

    def post_totals(
        self, uow: UnitOfWork, business_date: date, kind: str, reference: str, totals: list[tuple[AccountKey, int]]
    ) -> str:
        """One entry of many postings, one per account, already summed (a distribution batch's per-holder totals).

        The fast path for entries of thousands of postings: no Posting objects,
        the same balance invariant (refused unless the postings sum to zero per
        currency; PostgreSQL's deferred trigger checks it again at commit).
        """
        sums: dict[str, int] = defaultdict(int)
        deltas: dict[str, list[Any]] = {}
        for key, minor in totals:
            if not minor:
                raise Invalid("posting_zero", "a posting of zero moves nothing; leave it out")
            acc = account_id(key)
            if acc in deltas:
                raise Invalid("posting_repeated", f"account {key} appears twice in one summed entry")
            deltas[acc] = [key, minor]
            sums[key.currency] += minor
        if len(deltas) < 2:
            raise Invalid("entry_too_few_postings", "a journal entry needs at least two postings")
        unbalanced = {c: t for c, t in sums.items() if t}
        if unbalanced:
            raise Invalid(
                "entry_unbalanced",
                "journal entry does not balance: "
                + ", ".join(f"{c} off by {t}" for c, t in sorted(unbalanced.items())),
            )
        postings = [(acc, key.currency, minor) for acc, (key, minor) in deltas.items()]
        return self._write(uow, business_date, kind, reference, "", sorted(deltas.items()), postings)

    def _write(
        self,
        uow: UnitOfWork,
        business_date: date,
        kind: str,
        reference: str,
        description: str,
        accounts: list[tuple[str, list[Any]]],
        postings: list[tuple[str, str, int]],
    ) -> str:
        entry_id = new_id("je")
        now = uow.clock.now()
        entry_row = {
            "business_date": business_date,
            "kind": kind,
            "reference": reference,
            "description": description[:200],
            "posted_at": now,
        }
        with refusing_closed_periods():
            self._insert(uow, entry_id, entry_row, now, accounts, postings)
        return entry_id

    def _insert(
        self,
        uow: UnitOfWork,
        entry_id: str,
        entry_row: dict[str, Any],
        now: Any,
        accounts: list[tuple[str, list[Any]]],
        postings: list[tuple[str, str, int]],
    ) -> None:
        conn = uow.conn
        if uow.dialect == "postgresql":
            owned = [(acc, key, delta) for acc, (key, delta) in accounts if key.owner_id]
            controls = [(acc, key, delta) for acc, (key, delta) in accounts if not key.owner_id]
            conn.execute(
                POST_ENTRY_PG,
                {
                    "entry_id": entry_id,
                    **entry_row,
                    "own_ids": [acc for acc, _, _ in owned],
                    "own_types": [key.type.value for _, key, _ in owned],
                    "own_currencies": [key.currency for _, key, _ in owned],
                    "own_owners": [key.owner_id for _, key, _ in owned],
                    "own_deltas": [delta for _, _, delta in owned],
                    "ctl_ids": [acc for acc, _, _ in controls],
                    "ctl_types": [key.type.value for _, key, _ in controls],
                    "ctl_currencies": [key.currency for _, key, _ in controls],
                    "ctl_deltas": [delta for _, _, delta in controls],
                    "shard": _pick_shard(),
                    "p_accounts": [acc for acc, _, _ in postings],
                    "p_currencies": [cur for _, cur, _ in postings],
                    "p_amounts": [amount for _, _, amount in postings],
                },
            )
            return
        conn.execute(INSERT_ENTRY, {"id": entry_id, **entry_row})
        created_at = _sqlite_instant(now)
        conn.exec_driver_sql(
            UPSERT_ACCOUNTS_SQLITE,
            [(acc, key.type.value, key.currency, key.owner_id, delta, created_at) for acc, (key, delta) in accounts],
        )
        conn.exec_driver_sql(INSERT_POSTINGS_SQLITE, [(entry_id, acc, cur, amount) for acc, cur, amount in postings])

    def kind_totals(self, kind: str, account_type: AccountType) -> dict[str, int]:
        """Per owner, what entries of one kind posted to accounts of one type (raw: debit positive)."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(ledger_account.c.owner_id, func.sum(ledger_posting.c.amount))
                .select_from(
                    ledger_posting.join(ledger_entry, ledger_entry.c.id == ledger_posting.c.entry_id).join(
                        ledger_account, ledger_account.c.id == ledger_posting.c.account_id
                    )
                )
                .where(ledger_entry.c.kind == kind, ledger_account.c.type == account_type.value)
                .group_by(ledger_account.c.owner_id)
            ).all()
        return {owner: int(total) for owner, total in rows}

    # -- reading --------------------------------------------------------------

    def balance(self, key: AccountKey, as_of: date | None = None, uow: UnitOfWork | None = None) -> Money:
        if uow is not None:
            return Money(_balance(uow.conn, key, as_of), key.currency)
        with self._uow(read_only=True) as own:
            return Money(_balance(own.conn, key, as_of), key.currency)

    def postings_of(self, key: AccountKey, start: date | None = None, end: date | None = None) -> list[AccountPosting]:
        """One account's postings with business dates in [start, end], in the order they were posted."""
        query = (
            select(
                ledger_entry.c.id,
                ledger_entry.c.business_date,
                ledger_entry.c.kind,
                ledger_entry.c.reference,
                ledger_posting.c.amount,
            )
            .select_from(ledger_posting.join(ledger_entry, ledger_entry.c.id == ledger_posting.c.entry_id))
            .where(ledger_posting.c.account_id == account_id(key))
            .order_by(ledger_entry.c.business_date, ledger_posting.c.id)
        )
        if start is not None:
            query = query.where(ledger_entry.c.business_date >= start)
        if end is not None:
            query = query.where(ledger_entry.c.business_date <= end)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query).all()
        return [AccountPosting(i, d, k, r, Money(int(a), key.currency)) for i, d, k, r, a in rows]

    def balances(self, as_of: date | None = None) -> list[AccountBalance]:
        """Every account's balance as of a business date (the cache when no date)."""
        with self._uow(read_only=True) as uow:
            if as_of is None:
                rows = uow.conn.execute(
                    select(
                        ledger_account.c.type, ledger_account.c.currency, ledger_account.c.owner_id, cached_balance
                    ).select_from(WITH_SHARDS)
                ).all()
            else:
                rows = uow.conn.execute(
                    select(
                        ledger_account.c.type,
                        ledger_account.c.currency,
                        ledger_account.c.owner_id,
                        func.sum(ledger_posting.c.amount),
                    )
                    .select_from(
                        ledger_posting.join(ledger_entry, ledger_entry.c.id == ledger_posting.c.entry_id).join(
                            ledger_account, ledger_account.c.id == ledger_posting.c.account_id
                        )
                    )
                    .where(ledger_entry.c.business_date <= as_of)
                    .group_by(ledger_account.c.type, ledger_account.c.currency, ledger_account.c.owner_id)
                ).all()
        return sorted(
            (AccountBalance(AccountKey(AccountType(t), c, o), Money(int(b or 0), c)) for t, c, o, b in rows),
            key=lambda ab: (ab.key.type.value, ab.key.currency, ab.key.owner_id),
        )

    # -- verifying ------------------------------------------------------------

    def verify(self) -> list[Discrepancy]:
        with self._uow(read_only=True) as uow:
            return verify_ledger(uow.conn)


def _balance(conn: Connection, key: AccountKey, as_of: date | None) -> int:
    if as_of is None:
        found = conn.execute(CACHED_BALANCE, {"id": account_id(key)}).scalar()
        return int(found or 0)
    total = conn.execute(BALANCE_AS_OF, {"id": account_id(key), "as_of": as_of}).scalar()
    return int(total or 0)


def owner_balances(conn: Connection, account_type: AccountType, currency: str, owners: Sequence[str]) -> dict[str, int]:
    """The cached balances (raw: debit positive) of one type's accounts of many owners, by primary key.

    Read inside the caller's transaction (under its locks); an owner without the account is left out.
    """
    ids = {account_id(AccountKey(account_type, currency, owner)): owner for owner in owners}
    if not ids:
        return {}
    rows = conn.execute(
        select(ledger_account.c.id, cached_balance).select_from(WITH_SHARDS).where(ledger_account.c.id.in_(ids))
    )
    return {ids[acc]: int(balance) for acc, balance in rows}


def verify_ledger(conn: Connection) -> list[Discrepancy]:
    """Every entry balances per currency, every cached balance is its postings' sum, and every closed
    month's sums are its postings'."""
    found: list[Discrepancy] = []
    unbalanced = conn.execute(
        select(ledger_posting.c.entry_id, ledger_posting.c.currency, func.sum(ledger_posting.c.amount))
        .group_by(ledger_posting.c.entry_id, ledger_posting.c.currency)
        .having(func.sum(ledger_posting.c.amount) != 0)
        .order_by(ledger_posting.c.entry_id)
    ).all()
    for entry_id, currency, total in unbalanced:
        found.append(Discrepancy("entry_balances", entry_id, f"{currency} postings sum to {total}, not 0"))
    posting_count = (
        select(ledger_posting.c.entry_id, func.count().label("n")).group_by(ledger_posting.c.entry_id).subquery()
    )
    thin = conn.execute(
        select(ledger_entry.c.id, func.coalesce(posting_count.c.n, 0))
        .select_from(ledger_entry.outerjoin(posting_count, posting_count.c.entry_id == ledger_entry.c.id))
        .where(func.coalesce(posting_count.c.n, 0) < 2)
        .order_by(ledger_entry.c.id)
    ).all()
    for entry_id, n in thin:
        found.append(Discrepancy("entry_postings", entry_id, f"has {n} postings, needs at least 2"))
    sums = (
        select(ledger_posting.c.account_id, func.sum(ledger_posting.c.amount).label("total"))
        .group_by(ledger_posting.c.account_id)
        .subquery()
    )
    recomputed = func.coalesce(sums.c.total, literal(0))
    drifted = conn.execute(
        select(ledger_account.c.id, ledger_account.c.type, ledger_account.c.owner_id, cached_balance, recomputed)
        .select_from(WITH_SHARDS.outerjoin(sums, sums.c.account_id == ledger_account.c.id))
        .where(cached_balance != recomputed)
        .order_by(ledger_account.c.id)
    ).all()
    for acc_id, acc_type, owner, cached, actual in drifted:
        subject = f"{acc_id} ({acc_type}{' ' + owner if owner else ''})"
        found.append(Discrepancy("account_balance", subject, f"cached {cached}, journal says {actual}"))
    mismatched = conn.execute(
        select(ledger_posting.c.id, ledger_posting.c.entry_id)
        .select_from(ledger_posting.join(ledger_account, ledger_account.c.id == ledger_posting.c.account_id))
        .where(ledger_posting.c.currency != ledger_account.c.currency)
    ).all()
    for posting_id, entry_id in mismatched:
        found.append(
            Discrepancy("posting_currency", entry_id, f"posting {posting_id} is not in its account's currency")
        )
    for month_end, account, kind, summed, counted in summaries.mismatches(conn):
        found.append(
            Discrepancy(
                "month_summary",
                f"{month_end} {account} {kind}",
                f"summed debits, credits {summed}; the month's postings say {counted}",
            )
        )
    return found
