"""Ledger use cases: posting journal entries, reading balances, verifying.

`post` joins the caller's unit of work (a repayment, a disbursement) and never
commits: the money movement commits or rolls back with the change it belongs
to. Reading and verifying open their own read-only unit of work.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.ids import new_id
from fairlend.ledger.model import AccountKey, AccountType, JournalEntry
from fairlend.ledger.tables import ledger_account, ledger_entry, ledger_posting
from fairlend.money import Money

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def account_id(key: AccountKey) -> str:
    """A stable id for an account key, so posting needs no look-up first."""
    digest = int.from_bytes(hashlib.sha256(f"{key.type}|{key.currency}|{key.owner_id}".encode()).digest()[:17])
    body = "".join(_ALPHABET[(digest >> (5 * i)) & 31] for i in range(26))
    return f"acc_{body}"


@dataclass(frozen=True, slots=True)
class AccountBalance:
    key: AccountKey
    balance: Money  # raw: debit positive


@dataclass(frozen=True, slots=True)
class Discrepancy:
    check: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.detail}"


def _upsert(dialect: str):  # type: ignore[no-untyped-def]
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class Ledger:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow = uow_factory

    # -- writing (inside the caller's transaction) ---------------------------

    def post(self, uow: UnitOfWork, journal_entry: JournalEntry) -> str:
        """Record a balanced entry and move the cached balances; returns its id."""
        conn = uow.conn
        entry_id = new_id("je")
        now = uow.clock.now()
        conn.execute(
            ledger_entry.insert().values(
                id=entry_id,
                business_date=journal_entry.business_date,
                kind=journal_entry.kind,
                reference=journal_entry.reference,
                description=journal_entry.description[:200],
                posted_at=now,
            )
        )
        deltas: dict[AccountKey, int] = defaultdict(int)
        for posting in journal_entry.postings:
            deltas[posting.account] += posting.amount.minor
        insert = _upsert(uow.dialect)(ledger_account)
        upsert = insert.on_conflict_do_update(
            index_elements=[ledger_account.c.id],
            set_={"balance": ledger_account.c.balance + insert.excluded.balance},
        )
        conn.execute(
            upsert,
            [
                {
                    "id": account_id(key),
                    "type": key.type.value,
                    "currency": key.currency,
                    "owner_id": key.owner_id,
                    "balance": delta,
                    "created_at": now,
                }
                for key, delta in sorted(deltas.items(), key=lambda kv: account_id(kv[0]))
            ],
        )
        conn.execute(
            ledger_posting.insert(),
            [
                {
                    "entry_id": entry_id,
                    "account_id": account_id(p.account),
                    "currency": p.amount.currency,
                    "amount": p.amount.minor,
                }
                for p in journal_entry.postings
            ],
        )
        return entry_id

    # -- reading --------------------------------------------------------------

    def balance(self, key: AccountKey, as_of: date | None = None, uow: UnitOfWork | None = None) -> Money:
        if uow is not None:
            return Money(_balance(uow.conn, key, as_of), key.currency)
        with self._uow(read_only=True) as own:
            return Money(_balance(own.conn, key, as_of), key.currency)

    def balances(self, as_of: date | None = None) -> list[AccountBalance]:
        """Every account's balance as of a business date (the cache when no date)."""
        with self._uow(read_only=True) as uow:
            if as_of is None:
                rows = uow.conn.execute(
                    select(
                        ledger_account.c.type,
                        ledger_account.c.currency,
                        ledger_account.c.owner_id,
                        ledger_account.c.balance,
                    )
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
        found = conn.execute(select(ledger_account.c.balance).where(ledger_account.c.id == account_id(key))).scalar()
        return int(found or 0)
    total = conn.execute(
        select(func.coalesce(func.sum(ledger_posting.c.amount), 0))
        .select_from(ledger_posting.join(ledger_entry, ledger_entry.c.id == ledger_posting.c.entry_id))
        .where(ledger_posting.c.account_id == account_id(key), ledger_entry.c.business_date <= as_of)
    ).scalar()
    return int(total or 0)


def verify_ledger(conn: Connection) -> list[Discrepancy]:
    """Every entry balances per currency and every cached balance is its postings' sum."""
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
        select(
            ledger_account.c.id, ledger_account.c.type, ledger_account.c.owner_id, ledger_account.c.balance, recomputed
        )
        .select_from(ledger_account.outerjoin(sums, sums.c.account_id == ledger_account.c.id))
        .where(ledger_account.c.balance != recomputed)
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
    return found
