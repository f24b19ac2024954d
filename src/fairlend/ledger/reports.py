"""Reading the journal by period: what statements are made of, and the lines behind each figure.

Everything here is a sum of postings (never a cached balance), so a statement
built from it reconciles with the journal by construction, and the drill-down
(`lines`) returns exactly the postings a figure sums. A closed month's postings
are read as the sums written when it was locked (`summaries`), which cannot
differ from them: nothing posts into a locked month.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal, select

from fairlend.ledger import summaries
from fairlend.ledger.model import AccountKey, AccountType, Posting
from fairlend.ledger.tables import ledger_account, ledger_entry, ledger_month_activity, ledger_posting
from fairlend.money import Money

_p = ledger_posting.c
_e = ledger_entry.c
_a = ledger_account.c
_m = ledger_month_activity.c
_JOINED = ledger_posting.join(ledger_entry, _e.id == _p.entry_id).join(ledger_account, _a.id == _p.account_id)


@dataclass(frozen=True, slots=True)
class AccountActivity:
    """One account over a period: raw amounts, debit positive."""

    key: AccountKey
    opening: int  # before the period's first day
    debits: int  # >= 0
    credits: int  # <= 0

    @property
    def closing(self) -> int:
        return self.opening + self.debits + self.credits


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One posting with its entry: a line behind a statement's figure."""

    entry_id: str
    business_date: date
    kind: str
    reference: str
    description: str
    account: AccountKey
    amount: int  # raw: debit positive
    posting_id: int


@dataclass(frozen=True, slots=True)
class StoredEntry:
    entry_id: str
    business_date: date
    kind: str
    reference: str
    description: str
    postings: tuple[Posting, ...]


def activity(conn: Connection, start: date | None, end: date) -> list[AccountActivity]:
    """Every account with postings on or before `end`: opening balance before `start`, and the period's movement.

    Closed months the period covers whole, or that lie before it, are read from their sums
    (`summaries`); every other day from its postings.
    """
    before, inside = summaries.read_from_sums(summaries.closed_months(conn), start, end)
    found: dict[tuple[str, str, str], list[int]] = {}

    def add(key: tuple[str, str, str], opening: Any, debits: Any, credits: Any) -> None:
        row = found.setdefault(key, [0, 0, 0])
        row[0] += int(opening or 0)
        row[1] += int(debits or 0)
        row[2] += int(credits or 0)

    ranges = summaries.uncovered(end, before + inside)
    if ranges:
        in_period = _e.business_date >= start if start is not None else literal(True)
        before_start = _e.business_date < start if start is not None else literal(False)
        for t, c, o, op, dr, cr in conn.execute(
            select(
                _a.type,
                _a.currency,
                _a.owner_id,
                func.sum(case((before_start, _p.amount), else_=0)),
                func.sum(case((and_(in_period, _p.amount > 0), _p.amount), else_=0)),
                func.sum(case((and_(in_period, _p.amount < 0), _p.amount), else_=0)),
            )
            .select_from(_JOINED)
            .where(summaries.dated_in(_e.business_date, ranges))
            .group_by(_a.type, _a.currency, _a.owner_id)
        ):
            add((t, c, o), op, dr, cr)
    for months_read, opening in ((before, True), (inside, False)):
        if not months_read:
            continue
        for t, c, o, dr, cr in conn.execute(
            select(_a.type, _a.currency, _a.owner_id, func.sum(_m.debits), func.sum(_m.credits))
            .select_from(ledger_month_activity.join(ledger_account, _a.id == _m.account_id))
            .where(_m.month_end.in_([m.end for m in months_read]))
            .group_by(_a.type, _a.currency, _a.owner_id)
        ):
            if opening:
                add((t, c, o), int(dr or 0) + int(cr or 0), 0, 0)
            else:
                add((t, c, o), 0, dr, cr)
    rows = [AccountActivity(AccountKey(AccountType(t), c, o), op, dr, cr) for (t, c, o), (op, dr, cr) in found.items()]
    return sorted(rows, key=lambda a: (a.key.currency, a.key.type.value, a.key.owner_id))


def lines(
    conn: Connection,
    types: Sequence[AccountType],
    currency: str,
    start: date | None,
    end: date,
    *,
    owners: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[JournalLine]:
    """The postings to accounts of `types` in `currency` dated in [start, end], oldest first."""
    query = (
        select(_e.id, _e.business_date, _e.kind, _e.reference, _e.description, _a.type, _a.owner_id, _p.amount, _p.id)
        .select_from(_JOINED)
        .where(_a.type.in_([t.value for t in types]), _a.currency == currency, _e.business_date <= end)
        .order_by(_e.business_date, _p.id)
        .offset(offset)
    )
    if start is not None:
        query = query.where(_e.business_date >= start)
    if owners is not None:
        query = query.where(_a.owner_id.in_(list(owners)))
    if kinds is not None:
        query = query.where(_e.kind.in_(list(kinds)))
    if limit is not None:
        query = query.limit(limit)
    return [
        JournalLine(i, d, k, r, desc, AccountKey(AccountType(t), currency, o), int(amt), int(pid))
        for i, d, k, r, desc, t, o, amt, pid in conn.execute(query)
    ]


def kind_movements(
    conn: Connection, types: Sequence[AccountType], start: date | None, end: date
) -> list[tuple[str, str, int]]:
    """(currency, entry kind, net raw amount) on accounts of `types` in the period: a cash-flow's lines.

    Closed months inside the period are read from their sums (`summaries`), the other days from their postings.
    """
    wanted = [t.value for t in types]
    _, inside = summaries.read_from_sums(summaries.closed_months(conn), start, end)
    found: dict[tuple[str, str], int] = {}
    ranges = [
        (lo, hi)
        for lo, hi in summaries.uncovered(end, inside)
        if start is None or hi >= start  # the days before the period are not its movement
    ]
    if ranges:
        query = (
            select(_a.currency, _e.kind, func.sum(_p.amount))
            .select_from(_JOINED)
            .where(_a.type.in_(wanted), summaries.dated_in(_e.business_date, ranges))
            .group_by(_a.currency, _e.kind)
        )
        if start is not None:
            query = query.where(_e.business_date >= start)
        for c, k, total in conn.execute(query):
            found[(c, k)] = found.get((c, k), 0) + int(total or 0)
    if inside:
        for c, k, dr, cr in conn.execute(
            select(_a.currency, _m.kind, func.sum(_m.debits), func.sum(_m.credits))
            .select_from(ledger_month_activity.join(ledger_account, _a.id == _m.account_id))
            .where(_a.type.in_(wanted), _m.month_end.in_([m.end for m in inside]))
            .group_by(_a.currency, _m.kind)
        ):
            found[(c, k)] = found.get((c, k), 0) + int(dr or 0) + int(cr or 0)
    return sorted((c, k, total) for (c, k), total in found.items())


def entry_of(conn: Connection, entry_id: str) -> StoredEntry | None:
    head = conn.execute(
        select(_e.business_date, _e.kind, _e.reference, _e.description).where(_e.id == entry_id)
    ).first()
    if head is None:
        return None
    rows = conn.execute(
        select(_a.type, _a.currency, _a.owner_id, _p.amount)
        .select_from(ledger_posting.join(ledger_account, _a.id == _p.account_id))
        .where(_p.entry_id == entry_id)
        .order_by(_p.id)
    ).all()
    postings = tuple(Posting(AccountKey(AccountType(t), c, o), Money(int(a), c)) for t, c, o, a in rows)
    return StoredEntry(entry_id, head.business_date, head.kind, head.reference, head.description, postings)


def journal(conn: Connection, through: date, *, batch: int = 5_000) -> Iterator[list[JournalLine]]:
    """Every posting dated on or before `through`, by date and entry, a batch at a time (for exports)."""
    after: tuple[Any, ...] = (date.min, "", 0)
    while True:
        rows = conn.execute(
            select(
                _e.id,
                _e.business_date,
                _e.kind,
                _e.reference,
                _e.description,
                _a.type,
                _a.currency,
                _a.owner_id,
                _p.amount,
                _p.id,
            )
            .select_from(_JOINED)
            .where(
                _e.business_date <= through,
                (_e.business_date > after[0])
                | and_(_e.business_date == after[0], _e.id > after[1])
                | and_(_e.business_date == after[0], _e.id == after[1], _p.id > after[2]),
            )
            .order_by(_e.business_date, _e.id, _p.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield [
            JournalLine(i, d, k, r, desc, AccountKey(AccountType(t), c, o), int(amt), int(pid))
            for i, d, k, r, desc, t, c, o, amt, pid in rows
        ]
        last = rows[-1]
        after = (last[1], last[0], last[9])


def type_balances(conn: Connection, account_type: AccountType, as_of: date) -> list[AccountActivity]:
    """Every account of one type, its balance as of a business date (as `closing`; opening and moves 0)."""
    rows = conn.execute(
        select(_a.currency, _a.owner_id, func.sum(_p.amount))
        .select_from(_JOINED)
        .where(_a.type == account_type.value, _e.business_date <= as_of)
        .group_by(_a.currency, _a.owner_id)
    ).all()
    return [AccountActivity(AccountKey(account_type, c, o), int(s or 0), 0, 0) for c, o, s in rows]
