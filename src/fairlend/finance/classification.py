"""Loan classification, set-based: the active book read once, transitions only.

The class is `model.classify` written as SQL over lending's published view of
the active book (`lending.exposures.active_exposures`): the worst class whose
days-past-due threshold the loan reaches, raised to the profile's restructured
floor while a modified loan is observed. A loan whose class differs from the
one stored (none stored: the first class) gets a change row, which is its
current class from then on (`latest`, one per loan by a unique index); a
loan that had one has it unflagged before its new row is flagged, and the
day's moves are written straight from the book (no staging table: see
`Classifier`). End-of-day
runs it every day, so a threshold's boundary day is the day of the change.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    select,
    text,
    tuple_,
    update,
)

from fairlend.db.uow import UnitOfWork
from fairlend.finance.tables import finance_class_change
from fairlend.jurisdiction.model import FinanceProfile
from fairlend.lending.exposures import active_exposures

_DAY = bindparam("day", type_=finance_class_change.c.business_date.type)
BULK_MOVES = 10_000  # a day with this many moves refreshes the planner's statistics (PostgreSQL)
_OBSERVED_AFTER = bindparam("observed_after", type_=finance_class_change.c.business_date.type)
_COLUMNS = [
    "borrower_id",
    "loan_id",
    "business_date",
    "currency",
    "from_class",
    "to_class",
    "dpd",
    "restructured",
    "latest",
]


def class_by_days(
    dpd: ColumnElement[Any], observed: ColumnElement[Any], finance: FinanceProfile
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The new class and the restructured flag, each one CASE that reads days past due a few times at most.

    Worst class first; once below the restructured floor's threshold, a loan still observed
    takes the floor (`model.classify`). Month-end classifies every loan: the expression is
    evaluated per loan (in the SELECT and again in the WHERE), so it is kept flat.
    """
    floor = finance.class_codes().index(finance.restructured_floor)
    whens: list[tuple[ColumnElement[Any], ColumnElement[Any]]] = []
    for i in range(len(finance.classes) - 1, 0, -1):
        whens.append((dpd >= finance.classes[i].from_dpd, literal(finance.classes[i].code)))
        if i == floor:
            whens.append((observed, literal(finance.classes[floor].code)))
    new_class = case(*whens, else_=literal(finance.classes[0].code))
    if not floor:
        return new_class, literal(0)
    lifted = case((dpd >= finance.classes[floor].from_dpd, literal(0)), (observed, literal(1)), else_=literal(0))
    return new_class, lifted


def current_class() -> Any:
    """A loan's current class: its latest change row, when that row left the first class (`latest` = 1)."""
    return finance_class_change.alias("current_class")


class Classifier:
    """Built once per profile: the statements are prebuilt, a run binds the day.

    A move writes one row: the change, flagged `latest` when it leaves the first class. At no moment
    does a loan hold two current rows (a unique index refuses it), and no run stages its moves
    anywhere: the day's moves are written straight from the book in one INSERT ... SELECT, flagged
    at once when the loan had no current row (it left the first class: nothing to retire; the
    worst case, a book classified for the first time, is this statement alone). A loan that had a
    current row (it left another class) is written unflagged, then its previous row is retired and
    its new one flagged, both found by the day's rows (the date index), never by the book again.
    """

    def __init__(self, finance: FinanceProfile) -> None:
        self.finance = finance
        self.base = finance.classes[0].code
        exposures = active_exposures().subquery("e")
        current = current_class()
        observed = and_(exposures.c.modified_on.is_not(None), exposures.c.modified_on > _OBSERVED_AFTER)
        new_class, lifted = class_by_days(exposures.c.dpd, observed, finance)
        old_class = func.coalesce(current.c.to_class, literal(self.base))
        joined = exposures.outerjoin(
            current,
            and_(
                current.c.loan_id == exposures.c.loan_id,
                current.c.borrower_id == exposures.c.borrower_id,
                current.c.latest == 1,
            ),
        )
        # Flagged now only when the loan has no current row to retire (and leaves the first class).
        flagged = case((current.c.to_class.is_(None) & (new_class != literal(self.base)), literal(1)), else_=literal(0))
        changed = (
            select(
                exposures.c.borrower_id,
                exposures.c.loan_id,
                _DAY,
                exposures.c.currency,
                old_class,
                new_class,
                exposures.c.dpd,
                lifted,
                flagged,
            )
            .select_from(joined)
            .where(new_class != old_class)
        )
        self._record = insert(finance_class_change).from_select(_COLUMNS, changed)
        c = finance_class_change.c
        # The day's movers out of a class other than the first: each had a current row (`latest` only
        # ever flags a class other than the first), retired by its key (borrower, loan), one probe per
        # mover; the day's own rows are still unflagged, so only the previous one matches.
        left_a_class = and_(c.business_date == _DAY, c.from_class != literal(self.base))
        movers = select(c.borrower_id, c.loan_id).where(left_a_class)
        self._retire = (
            update(finance_class_change)
            .where(c.latest == 1, tuple_(c.borrower_id, c.loan_id).in_(movers))
            .values(latest=0)
        )
        self._flag = update(finance_class_change).where(left_a_class, c.to_class != literal(self.base)).values(latest=1)
        self._already = select(func.count()).select_from(finance_class_change).where(c.business_date == _DAY)
        self._counts = select(
            func.count(), func.coalesce(func.sum(case((c.from_class != literal(self.base), 1), else_=0)), 0)
        ).where(c.business_date == _DAY)

    def run(self, uow: UnitOfWork, day: date) -> int:
        """Record the day's class changes; a day already classified is left as it is (re-running changes nothing)."""
        params = {"day": day, "observed_after": day - timedelta(days=self.finance.restructured_observation_days)}
        if uow.conn.execute(self._already, params).scalar():
            return 0
        uow.conn.execute(self._record, params)
        # Counted from the day's rows (psycopg reports no row count for an INSERT ... SELECT), with those
        # that left a class other than the first: none on a book's first classification, so no retirement.
        count, left = uow.conn.execute(self._counts, params).one()
        if left:
            # Retire first, then flag: the unique index over the current rows holds after every statement.
            uow.conn.execute(self._retire, params)
            uow.conn.execute(self._flag, params)
        if count >= BULK_MOVES and uow.conn.dialect.name == "postgresql":
            # A mass move (a book classified for the first time) changes the flagged rows' share of the
            # table at once; until autovacuum's ANALYZE comes round the planner believes a few hundred
            # loans hold a class and the next day's join walks the book by index (4x slower, measured).
            uow.conn.execute(text("ANALYZE finance_class_change"))
        return int(count)
