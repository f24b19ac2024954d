"""The month-end snapshot: written set-based at each month's last day, read in place of the live month-ends.

The costly part of the page is a status and a balance per loan and month-end
(`queries.live_month_ends`: a correlated look-up of the latest delinquency
transition and of the principal repaid, for every loan and month). A past
month-end never changes, so end-of-day writes it once, on the month's last
day, as one INSERT … SELECT of that very statement (tables.py); the reader
takes the stored rows for every month of the range that has them and
computes live only the others: the current month (a range ending mid-month),
and months before the snapshot existed and not yet backfilled. So the stored
and the live figures cannot differ in definition, only in when they were
computed; `portfolio(flt, live=True)` computes everything live, which the
tests compare.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import CTE, Connection, Date, delete, func, insert, literal, select, union_all

from fairlend.analytics import queries, sources
from fairlend.analytics.model import Filter, Month, months
from fairlend.analytics.tables import analytics_loan_month, analytics_snapshot_month
from fairlend.db.uow import UnitOfWork

STEP_NAME = "analytics_month_end"


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def month_ends_before(first: date, day: date) -> list[date]:
    """Every calendar month's last day from `first`'s month up to, not including, `day`."""
    out: list[date] = []
    end = first.replace(day=1)
    while True:
        end = (end.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        if end >= day:
            return out
        out.append(end)
        end += timedelta(days=1)


def write(uow: UnitOfWork, month_end: date, buckets: tuple[str, ...]) -> int:
    """Replace the snapshot of `month_end` with what the live statement gives for that day; the rows written."""
    t = analytics_loan_month
    first = month_end.replace(day=1)
    ms = queries.month_rows([Month(f"{month_end:%Y-%m}", first, month_end)])
    live = queries.live_month_ends(Filter(first, month_end), ms, buckets[0], left_since=first).subquery("live")
    conn = uow.conn
    conn.execute(delete(t).where(t.c.month_end == month_end))
    conn.execute(delete(analytics_snapshot_month).where(analytics_snapshot_month.c.month_end == month_end))
    conn.execute(
        insert(t).from_select(
            ["borrower_id", "month_end", "loan_id", "grade", "status", "outstanding"],
            select(
                live.c.borrower_id,
                literal(month_end, Date),
                live.c.loan_id,
                live.c.grade,
                live.c.status,
                live.c.outstanding,
            ),
        )
    )
    # Counted, not the INSERT's rowcount: SQLite's driver answers -1 for a statement that opens with WITH.
    written = int(conn.execute(select(func.count()).select_from(t).where(t.c.month_end == month_end)).scalar_one())
    conn.execute(
        insert(analytics_snapshot_month).values(month_end=month_end, loans=written, written_at=uow.clock.now())
    )
    return written


def first_open_date(conn: Connection) -> date | None:
    book = sources.loans().subquery("b")
    found = conn.execute(select(func.min(book.c.open_date))).scalar()
    return found if isinstance(found, date) else None


def written_months(conn: Connection, days: list[date]) -> set[date]:
    m = analytics_snapshot_month
    return set(conn.execute(select(m.c.month_end).where(m.c.month_end.in_(days))).scalars())


def month_end_rows(conn: Connection, flt: Filter, buckets: tuple[str, ...], *, live: bool = False) -> CTE:
    """The range's month-ends as `queries.live_month_ends` gives them: stored where written, live elsewhere.

    A stored month holds only the loans on the book and those that left it that month; the live rows hold
    every loan opened by then. The measures read neither a loan gone before the month (no balance, no
    bucket, no roll from it), so they come out the same from either.
    """
    ms = months(flt)
    stored_on = set() if live else written_months(conn, [m.last for m in ms])
    stored = [(n, m) for n, m in enumerate(ms) if m.last in stored_on]
    fresh = [(n, m) for n, m in enumerate(ms) if m.last not in stored_on]
    parts: list[Any] = []
    if fresh:
        fresh_ms = queries.month_rows([m for _, m in fresh], numbered=[n for n, _ in fresh], name="live_months")
        parts.append(queries.live_month_ends(flt, fresh_ms, buckets[0]))
    if stored:
        stored_ms = queries.month_rows([m for _, m in stored], numbered=[n for n, _ in stored], name="stored_months")
        t = analytics_loan_month
        read = (
            select(
                stored_ms.c.month.label("month"),
                stored_ms.c.n.label("n"),
                t.c.borrower_id.label("borrower_id"),
                t.c.loan_id.label("loan_id"),
                t.c.grade.label("grade"),
                t.c.status.label("status"),
                t.c.outstanding.label("outstanding"),
            )
            .select_from(t)
            .join(stored_ms, t.c.month_end == stored_ms.c.m_last)
        )
        parts.append(read.where(t.c.grade == flt.grade) if flt.grade else read)
    if len(parts) == 1:
        one: CTE = parts[0].cte("snap")
        return one
    both: CTE = union_all(*parts).cte("snap")
    return both


class MonthEndSnapshotStep:
    """End-of-day's step: on a calendar month's last day, the month-end snapshot of the whole book.

    It runs once per date after every partition has committed (it has no `run_partition`), registered
    after the other contexts' steps, so the day's buckets, charge-offs and repayments are final.
    """

    name = STEP_NAME

    def __init__(self, buckets: tuple[str, ...]) -> None:
        self._buckets = buckets

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        return write(uow, business_date, self._buckets) if is_month_end(business_date) else 0
