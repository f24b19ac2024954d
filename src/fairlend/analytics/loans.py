"""The per-loan read model: each loan's facts stored through a day, the loans and closings since read live.

Every measure joins the loans (`sources.loans`: lending's loan row, origination's
offer and application, and the first charge-off or write-off from one grouped
pass over the journal, whose `kind` has no index). Each statement re-derived
them, and SQLite re-ran that derivation for every month a statement joined. A
loan's grade, score, opening day and currency never move once it is booked, and
its first closing's date, once past, never moves either; so `analytics_loan`
stores them for every loan opened on or before the day in
`analytics_loan_snapshot` (`through`), written by the backfill (`rebuild`) and
moved on by end-of-day (`refresh`: the loans opened and the closings dated since).

`current(through)` gives the columns of `sources.loans()` from the stored rows,
joined by primary key to lending's row for what moves within a day (principal by
a tranche, settlement, the closed amount), with the closings dated after
`through` (the journal's `business_date` index: a day's entries, not all) and,
live, the loans opened after it. So stored and live differ only in when they
were computed; `current(None)` is `sources.loans()` itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, and_, delete, func, insert, literal, select, union_all, update

from fairlend.analytics import sources
from fairlend.analytics.built import statement
from fairlend.analytics.tables import analytics_loan, analytics_loan_snapshot
from fairlend.db.uow import UnitOfWork

STORED = ("borrower_id", "loan_id", "grade", "score", "open_date", "currency", "closed_on")


def stored_through(conn: Connection) -> date | None:
    """The day through which every loan and closing is in `analytics_loan` (None: not written)."""
    found = conn.execute(select(func.max(analytics_loan_snapshot.c.through))).scalar()
    return found if isinstance(found, date) else None


@statement
def current(through: date | None) -> Any:
    """The loans as `sources.loans()` has them: stored through `through`, live after it (None: all live)."""
    if through is None:
        return sources.loans()
    s = analytics_loan
    book = sources.loan_book().subquery("lb")
    since = sources.closings_after(through).subquery("since")
    stored = (
        select(
            s.c.borrower_id.label("borrower_id"),
            s.c.loan_id.label("loan_id"),
            s.c.grade.label("grade"),
            s.c.score.label("score"),
            s.c.open_date.label("open_date"),
            book.c.principal.label("principal"),
            s.c.currency.label("currency"),
            book.c.settled_on.label("settled_on"),
            book.c.closed_amount.label("closed_amount"),
            func.coalesce(s.c.closed_on, since.c.business_date).label("closed_on"),
        )
        .select_from(s)
        .join(book, and_(book.c.borrower_id == s.c.borrower_id, book.c.loan_id == s.c.loan_id))
        .outerjoin(since, since.c.reference == s.c.loan_id)
    )
    return union_all(stored, sources.loans(opened_after=through))


def _insert(conn: Connection, rows: Any, through: date) -> None:
    src = rows.subquery("src")
    conn.execute(
        insert(analytics_loan).from_select(
            list(STORED), select(*(src.c[name] for name in STORED)).where(src.c.open_date <= literal(through, Date))
        )
    )


def _mark(uow: UnitOfWork, through: date) -> int:
    conn = uow.conn
    loans = int(conn.execute(select(func.count()).select_from(analytics_loan)).scalar_one())
    conn.execute(delete(analytics_loan_snapshot))
    conn.execute(insert(analytics_loan_snapshot).values(through=through, loans=loans, written_at=uow.clock.now()))
    return loans


def rebuild(uow: UnitOfWork, through: date) -> int:
    """Rewrite every loan opened on or before `through` from the live derivation (the backfill); the loans stored."""
    conn = uow.conn
    conn.execute(delete(analytics_loan))
    _insert(conn, sources.loans(), through)
    return _mark(uow, through)


def refresh(uow: UnitOfWork, through: date) -> int:
    """Move the stored loans on to `through` (end-of-day): date the closings since, add the loans opened since.

    Nothing stored yet: `rebuild`. A day already covered: nothing to do. The loans stored.
    """
    conn = uow.conn
    before = stored_through(conn)
    if before is None:
        return rebuild(uow, through)
    if through <= before:
        return int(conn.execute(select(func.count()).select_from(analytics_loan)).scalar_one())
    s = analytics_loan
    since = sources.closings_after(before).subquery("since")
    # The day's few closings, read once and written by primary key, rather than a correlated UPDATE
    # that would run the grouped journal read once per stored loan.
    closed = conn.execute(
        select(s.c.borrower_id, s.c.loan_id, since.c.business_date)
        .select_from(s)
        .join(since, since.c.reference == s.c.loan_id)
        .where(s.c.closed_on.is_(None))
    ).all()
    for borrower_id, loan_id, day in closed:
        conn.execute(update(s).where(s.c.borrower_id == borrower_id, s.c.loan_id == loan_id).values(closed_on=day))
    _insert(conn, sources.loans(opened_after=before), through)
    return _mark(uow, through)
