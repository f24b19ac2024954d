"""Closed months summed: what statements read instead of a locked month's postings.

When finance closes a month it locks the journal through the month's last day
(`periods.lock_through`) and, in the same transaction, `summarize`s the month:
its postings summed per account and entry kind (`ledger_month_activity`).
Nothing can post into a locked month, so the sums stay exact; a year's
statements then read twelve months of sums (accounts × kinds rows each)
instead of every posting of the year and of the years before it.

Reads use a month's sums only while the lock covers the month (`closed_months`):
a month whose lock was moved back is read from its postings again, whatever
rows are left. Reopening drops them (`drop_after`), and `mismatches` (run by
`fairlend verify`) adds each summed month's postings up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from fairlend.ledger import periods
from fairlend.ledger.tables import ledger_entry, ledger_month_activity, ledger_posting

_m = ledger_month_activity.c
_p = ledger_posting.c
_e = ledger_entry.c
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Consecutive days, both ends included."""

    start: date
    end: date


def _sums(start: date, end: date) -> Select[Any]:
    """The postings dated in [start, end] summed per account and entry kind: debits, credits."""
    amount = _p.amount
    return (
        select(
            _p.account_id,
            _e.kind,
            func.sum(case((amount > 0, amount), else_=0)),
            func.sum(case((amount < 0, amount), else_=0)),
        )
        .select_from(ledger_posting.join(ledger_entry, _e.id == _p.entry_id))
        .where(_e.business_date >= start, _e.business_date <= end)
        .group_by(_p.account_id, _e.kind)
    )


def summarize(conn: Connection, start: date, end: date) -> None:
    """Sum the postings dated in [start, end] per account and entry kind (the caller locks the month)."""
    conn.execute(delete(ledger_month_activity).where(_m.month_end == end))
    sums = _sums(start, end).subquery()
    conn.execute(
        insert(ledger_month_activity).from_select(
            ["month_start", "month_end", "account_id", "kind", "debits", "credits"],
            select(
                literal(start, _m.month_start.type),
                literal(end, _m.month_end.type),
                *sums.c,
            ),
        )
    )


def drop_after(conn: Connection, through: date | None) -> None:
    """Forget the sums of the months after `through` (every month's when None): they are open again."""
    query = delete(ledger_month_activity)
    if through is not None:
        query = query.where(_m.month_end > through)
    conn.execute(query)


def closed_months(conn: Connection) -> list[Span]:
    """The summed months the lock still covers, oldest first."""
    lock = periods.closed_through(conn)
    if lock is None:
        return []
    rows = conn.execute(
        select(_m.month_start, _m.month_end).where(_m.month_end <= lock).distinct().order_by(_m.month_start)
    ).all()
    return [Span(start, end) for start, end in rows]


def read_from_sums(months: list[Span], start: date | None, end: date) -> tuple[list[Span], list[Span]]:
    """Of the closed months, those wholly before the period (its opening balances) and those it covers whole
    (its movement): the ones a statement reads from their sums; every other day is read from its postings."""
    before = [m for m in months if start is not None and m.end < start]
    inside = [m for m in months if (start is None or m.start >= start) and m.end <= end]
    return before, inside


def joined(months: list[Span]) -> list[Span]:
    """Months that follow one another as one span each."""
    spans: list[Span] = []
    for month in sorted(months):
        if spans and spans[-1].end + _DAY >= month.start:
            spans[-1] = Span(spans[-1].start, max(spans[-1].end, month.end))
        else:
            spans.append(month)
    return spans


def uncovered(end: date, covered: list[Span]) -> list[tuple[date | None, date]]:
    """The days through `end` outside `covered`, as ranges (None: from the first day of the journal)."""
    ranges: list[tuple[date | None, date]] = []
    low: date | None = None
    for span in joined(covered):
        if span.start > end:
            break
        if low is None or span.start > low:
            ranges.append((low, span.start - _DAY))
        low = span.end + _DAY
    if low is None or low <= end:
        ranges.append((low, end))
    return ranges


def dated_in(column: ColumnElement[date], ranges: list[tuple[date | None, date]]) -> ColumnElement[bool]:
    """`column` within one of the ranges (each one an index range on the entry's date)."""
    return or_(*(column <= hi if lo is None else and_(column >= lo, column <= hi) for lo, hi in ranges))


def mismatches(conn: Connection) -> list[tuple[date, str, str, tuple[int, int], tuple[int, int]]]:
    """(month end, account, kind, summed, recounted) wherever a summed month disagrees with its postings."""
    found = []
    for month in closed_months(conn):
        summed = {
            (account, kind): (int(debits), int(credits))
            for account, kind, debits, credits in conn.execute(
                select(_m.account_id, _m.kind, _m.debits, _m.credits).where(_m.month_end == month.end)
            )
        }
        counted = {
            (account, kind): (int(debits or 0), int(credits or 0))
            for account, kind, debits, credits in conn.execute(_sums(month.start, month.end))
        }
        for key in sorted(summed.keys() | counted.keys()):
            if summed.get(key, (0, 0)) != counted.get(key, (0, 0)):
                found.append((month.end, key[0], key[1], summed.get(key, (0, 0)), counted.get(key, (0, 0))))
    return found
