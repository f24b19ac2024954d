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

from sqlalchemy import (
    CTE,
    Connection,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)

from fairlend.analytics import attempts, defaults, loans, queries, sources
from fairlend.analytics.built import statement
from fairlend.analytics.model import CHARGED_OFF, SETTLED, Filter, Month, months
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
    """Replace the snapshot of `month_end` with what the live statement gives for that day; the rows written.

    The loans come from the per-loan read model where stored (loans.py: the same rows, read once).
    """
    t = analytics_loan_month
    first = month_end.replace(day=1)
    conn = uow.conn
    through = loans.stored_through(conn)
    ms = queries.month_rows([Month(f"{month_end:%Y-%m}", first, month_end)])
    live = queries.live_month_ends(
        Filter(first, month_end), ms, buckets[0], left_since=first, loans_through=through
    ).subquery("live")
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
    # The status at the month-end before, when that one is stored: a roll becomes one row to read.
    prev_end = first - timedelta(days=1)
    rolls = bool(written_months(conn, [prev_end]))
    if rolls:
        prev = t.alias("prev")
        before = (
            select(prev.c.status)
            .where(prev.c.borrower_id == t.c.borrower_id, prev.c.loan_id == t.c.loan_id, prev.c.month_end == prev_end)
            .scalar_subquery()
        )
        conn.execute(update(t).where(t.c.month_end == month_end).values(prev_status=before))
    conn.execute(
        insert(analytics_snapshot_month).values(
            month_end=month_end, loans=written, written_at=uow.clock.now(), rolls=rolls
        )
    )
    defaults.write(uow, month_end, through)
    return written


def first_open_date(conn: Connection) -> date | None:
    book = sources.loan_book().subquery("b")
    found = conn.execute(select(func.min(book.c.open_date))).scalar()
    return found if isinstance(found, date) else None


def written_months(conn: Connection, days: list[date]) -> set[date]:
    m = analytics_snapshot_month
    return set(conn.execute(select(m.c.month_end).where(m.c.month_end.in_(days))).scalars())


def rolled_months(conn: Connection, flt: Filter, *, live: bool = False) -> dict[int, date]:
    """The range's months (index: month-end) whose stored rows know the month-end before (`prev_status`)."""
    if live:
        return {}
    ms = months(flt)
    m = analytics_snapshot_month
    ends = [x.last for x in ms[1:]]
    rolled = set(conn.execute(select(m.c.month_end).where(m.c.month_end.in_(ends), m.c.rolls.is_(True))).scalars())
    return {n: x.last for n, x in enumerate(ms) if n > 0 and x.last in rolled}


def stored_rolls(
    conn: Connection, flt: Filter, buckets: tuple[str, ...], ends: list[date]
) -> list[tuple[str, str, int]]:
    """(bucket at the month-end before, status at the month-end, loans) from the stored month-ends `ends`: one read."""
    if not ends:
        return []
    t = analytics_loan_month
    q = (
        select(t.c.prev_status, t.c.status, func.count())
        .where(t.c.month_end.in_(ends), t.c.prev_status.in_(buckets))
        .group_by(t.c.prev_status, t.c.status)
    )
    if flt.grade:
        q = q.where(t.c.grade == flt.grade)
    return [(str(a), str(b), int(n)) for a, b, n in conn.execute(q).all()]


@statement
def carried_month_end(
    flt: Filter, month: Month, n: int, prev_end: date, loans_through: date | None = None
) -> Select[Any]:
    """A month's end from the stored month-end before it: the loans it held, moved on by the month's own events.

    The status is the month's latest transition (else the stored one) unless the loan left the book
    by the day; the balance is the stored one less the principal repaid within the month. So the
    per-loan look-ups of the live statement become two grouped passes over one month's transitions and
    repayments. The loans opened within the month have no stored row: `month_end_rows` adds them live.
    """
    day = month.last
    prev = analytics_loan_month.alias("prev")
    lo = queries.filtered_loans(flt, loans_through)
    r = sources.repayments().subquery("rm")
    within = and_(r.c.business_date > prev_end, r.c.business_date <= day)
    paid = (
        select(r.c.borrower_id, r.c.loan_id, func.sum(r.c.principal).label("principal"))
        .where(within, r.c.kind == "repayment")
        .group_by(r.c.borrower_id, r.c.loan_id)
        .subquery("paid")
    )
    t = sources.transitions().subquery("tm")
    order = func.row_number().over(
        partition_by=(t.c.borrower_id, t.c.loan_id), order_by=(t.c.business_date.desc(), t.c.id.desc())
    )
    ranked = (
        select(t.c.borrower_id, t.c.loan_id, t.c.to_bucket, order.label("rank"))
        .where(t.c.business_date > prev_end, t.c.business_date <= day)
        .subquery("ranked")
    )
    latest = select(ranked).where(ranked.c.rank == 1).subquery("latest")
    status = case(
        (and_(lo.c.closed_on.is_not(None), lo.c.closed_on <= day), literal(CHARGED_OFF, String)),
        (and_(lo.c.settled_on.is_not(None), lo.c.settled_on <= day), literal(SETTLED, String)),
        else_=func.coalesce(latest.c.to_bucket, prev.c.status),
    )
    return (
        select(
            literal(month.label, String).label("month"),
            literal(n, Integer).label("n"),
            prev.c.borrower_id.label("borrower_id"),
            prev.c.loan_id.label("loan_id"),
            prev.c.grade.label("grade"),
            status.label("status"),
            (prev.c.outstanding - func.coalesce(paid.c.principal, 0)).label("outstanding"),
        )
        .select_from(prev)
        .join(lo, and_(lo.c.borrower_id == prev.c.borrower_id, lo.c.loan_id == prev.c.loan_id))
        .outerjoin(paid, and_(paid.c.borrower_id == prev.c.borrower_id, paid.c.loan_id == prev.c.loan_id))
        .outerjoin(latest, and_(latest.c.borrower_id == prev.c.borrower_id, latest.c.loan_id == prev.c.loan_id))
        .where(prev.c.month_end == prev_end)
    )


def month_end_rows(
    conn: Connection, flt: Filter, buckets: tuple[str, ...], *, live: bool = False, loans_through: date | None = None
) -> CTE:
    """The range's month-ends as `queries.live_month_ends` gives them: stored where written, carried from
    the stored month-end before where only that one is written (`carried_month_end`), live elsewhere.

    A stored month holds only the loans on the book and those that left it that month; the live rows hold
    every loan opened by then. The measures read neither a loan gone before the month (no balance, no
    bucket, no roll from it), so they come out the same from either.
    """
    ms = months(flt)
    before = [m.last.replace(day=1) - timedelta(days=1) for m in ms]
    stored_on = frozenset() if live else frozenset(written_months(conn, [m.last for m in ms] + before))
    return _month_end_cte(flt, buckets, stored_on, loans_through)


@statement
def _month_end_cte(
    flt: Filter, buckets: tuple[str, ...], stored_on: frozenset[date], loans_through: date | None
) -> CTE:
    """`month_end_rows` once the month-ends written are known (`stored_on`)."""
    ms = months(flt)
    before = {m.last: m.last.replace(day=1) - timedelta(days=1) for m in ms}
    stored = [(n, m) for n, m in enumerate(ms) if m.last in stored_on]
    # The month in progress (a range ending mid-month), carried from the month-end before it when stored.
    carried = [(n, m) for n, m in enumerate(ms) if m.last not in stored_on and before[m.last] in stored_on]
    fresh = [(n, m) for n, m in enumerate(ms) if m.last not in stored_on and before[m.last] not in stored_on]
    parts: list[Any] = []
    for n, m in carried:
        opened_ms = queries.month_rows([m], numbered=[n], name=f"opened_{n}")
        parts.append(carried_month_end(flt, m, n, before[m.last], loans_through))
        parts.append(
            queries.live_month_ends(
                flt, opened_ms, buckets[0], opened_after=before[m.last], loans_through=loans_through
            )
        )
    if fresh:
        fresh_ms = queries.month_rows([m for _, m in fresh], numbered=[n for n, _ in fresh], name="live_months")
        parts.append(queries.live_month_ends(flt, fresh_ms, buckets[0], loans_through=loans_through))
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
        # Every day: the per-loan read model moved on to the closed day (the day's loans and closings).
        loans.refresh(uow, business_date)
        written = write(uow, business_date, self._buckets) if is_month_end(business_date) else 0
        # The month before's contact attempts, now that its last UTC instant has passed (attempts.py).
        yesterday = business_date - timedelta(days=1)
        return written + (attempts.write(uow, yesterday) if is_month_end(yesterday) else 0)
