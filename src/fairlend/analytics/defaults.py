"""Each loan's default date: stored once it is past, the days since the last stored month-end computed live.

A loan defaults on the first day it is more than DEFAULT_DPD days past due or on its charge-off,
whichever comes first; vintages, losses and calibration all read it. Computed per request it was a
correlated look-up of the loan's transitions inside statements that join loans to months, which
the database re-ran per loan and month. A default date, once past, never moves, so the month-end
snapshot stores the defaults on or before its day (`analytics_loan_default`, marking the month-end
`defaults`); the reader takes the stored date and computes only the defaults after the latest such
month-end, from one grouped pass over the transitions since (and the loan's charge-off date).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, select, update

from fairlend.analytics import sources
from fairlend.analytics.built import statement
from fairlend.analytics.model import DEFAULT_DPD, Filter
from fairlend.analytics.queries import filtered_loans
from fairlend.analytics.tables import analytics_loan_default, analytics_snapshot_month
from fairlend.db.uow import UnitOfWork


def stored_through(conn: Connection) -> date | None:
    """The latest month-end through which every default is stored (None: none is)."""
    m = analytics_snapshot_month
    found = conn.execute(select(func.max(m.c.month_end)).where(m.c.defaults.is_(True))).scalar()
    return found if isinstance(found, date) else None


@statement
def dated_loans(flt: Filter, through: date | None, loans_through: date | None = None) -> Any:
    """`queries.filtered_loans` with `default_on`: stored through `through`, live after it (None: all live).

    `loans_through`: the day through which the per-loan read model is stored (loans.py; None: none).
    """
    lo = filtered_loans(flt, loans_through)
    t = sources.transitions().subquery("td")
    late = select(t.c.borrower_id, t.c.loan_id, func.min(t.c.business_date).label("first_late")).where(
        t.c.dpd > DEFAULT_DPD
    )
    if through is not None:
        late = late.where(t.c.business_date > through)
    recent = late.group_by(t.c.borrower_id, t.c.loan_id).subquery("late")
    closed = lo.c.closed_on if through is None else case((lo.c.closed_on > through, lo.c.closed_on))
    first = recent.c.first_late
    live = case(
        (first.is_(None), closed),
        (closed.is_(None), first),
        (closed < first, closed),
        else_=first,
    )
    q = select(*lo.c).outerjoin(
        recent, and_(recent.c.borrower_id == lo.c.borrower_id, recent.c.loan_id == lo.c.loan_id)
    )
    if through is None:
        return q.add_columns(live.label("default_on")).subquery("dl")
    d = analytics_loan_default
    return (
        q.add_columns(func.coalesce(d.c.default_on, live).label("default_on"))
        .outerjoin(d, and_(d.c.borrower_id == lo.c.borrower_id, d.c.loan_id == lo.c.loan_id))
        .subquery("dl")
    )


def write(uow: UnitOfWork, month_end: date, loans_through: date | None = None) -> int:
    """Store the defaults on or before `month_end` not stored yet and mark the month-end; the defaults added."""
    conn = uow.conn
    d = analytics_loan_default
    dl = dated_loans(Filter(month_end, month_end), None, loans_through)
    missing = (
        select(dl.c.borrower_id, dl.c.loan_id, dl.c.default_on)
        .outerjoin(d, and_(d.c.borrower_id == dl.c.borrower_id, d.c.loan_id == dl.c.loan_id))
        .where(dl.c.default_on <= month_end, d.c.loan_id.is_(None))
    )
    before = int(conn.execute(select(func.count()).select_from(d)).scalar_one())
    conn.execute(insert(d).from_select(["borrower_id", "loan_id", "default_on"], missing))
    m = analytics_snapshot_month
    conn.execute(update(m).where(m.c.month_end == month_end).values(defaults=True))
    return int(conn.execute(select(func.count()).select_from(d)).scalar_one()) - before


def forget(conn: Connection) -> None:
    """Drop every stored default (the backfill recomputes them all, so a corrected history is taken)."""
    conn.execute(delete(analytics_loan_default))
    conn.execute(update(analytics_snapshot_month).values(defaults=False))
