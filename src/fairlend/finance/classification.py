"""Loan classification, set-based: the active book read once, transitions only.

The class is `model.classify` written as SQL over lending's published view of
the active book (`lending.exposures.active_exposures`): the worst class whose
days-past-due threshold the loan reaches, raised to the profile's restructured
floor while a modified loan is observed. A loan whose class differs from the
one stored (none stored: the first class) gets a change row, which is its
current class from then on (`latest`, one per loan by a unique index); the
loan's previous current row is unflagged first. End-of-day
runs it every day, so a threshold's boundary day is the day of the change.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    Table,
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
# The day's moves, staged once per run (a temporary table, dropped in the run's transaction): the movers'
# previous rows are retired from them before the moves are recorded, so at no moment does a loan hold two
# current rows (the unique index over `latest` = 1), and the book is classified once, not once per statement.
_moves = Table(
    "finance_class_move",
    MetaData(),
    *(Column(name, finance_class_change.c[name].type, nullable=False) for name in _COLUMNS),
    prefixes=["TEMPORARY"],
)


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

    A move writes one row: the change, flagged `latest` when it leaves the first class. The loan's
    previous latest change (if it had one) is unflagged first, so a loan never holds two current rows
    (a unique index refuses it); the first classification of a book writes one row per loan and a
    later move one row and one flag.
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
                case((new_class == literal(self.base), literal(0)), else_=literal(1)),
            )
            .select_from(joined)
            .where(new_class != old_class)
        )
        m = _moves.c
        self._stage = insert(_moves).from_select(_COLUMNS, changed)
        # Only a loan that left a class other than the first has a latest row to retire: by its key
        # (borrower, loan), a probe per mover, never a walk through the history.
        c = finance_class_change.c
        movers = select(m.borrower_id, m.loan_id).where(m.from_class != self.base)
        self._retire = (
            update(finance_class_change)
            .where(c.latest == 1, tuple_(c.borrower_id, c.loan_id).in_(movers))
            .values(latest=0)
        )
        self._record = insert(finance_class_change).from_select(_COLUMNS, select(*(m[name] for name in _COLUMNS)))
        self._staged = select(func.count()).select_from(_moves)
        self._already = select(func.count()).select_from(finance_class_change).where(c.business_date == _DAY)

    def run(self, uow: UnitOfWork, day: date) -> int:
        """Record the day's class changes; a day already classified is left as it is (re-running changes nothing)."""
        params = {"day": day, "observed_after": day - timedelta(days=self.finance.restructured_observation_days)}
        if uow.conn.execute(self._already, params).scalar():
            return 0
        # A failed run's table may outlive its transaction on a pooled connection (SQLite's driver runs DDL
        # outside the transaction it has not begun yet): start from none.
        _moves.drop(uow.conn, checkfirst=True)
        _moves.create(uow.conn)
        uow.conn.execute(self._stage, params)
        count = int(uow.conn.execute(self._staged).scalar() or 0)
        if count:
            # Retire first, then record: the unique index over the current rows holds after every statement.
            uow.conn.execute(self._retire)
            uow.conn.execute(self._record)
        _moves.drop(uow.conn)
        if count >= BULK_MOVES and uow.conn.dialect.name == "postgresql":
            # A mass move (a book classified for the first time) changes the flagged rows' share of the
            # table at once; until autovacuum's ANALYZE comes round the planner believes a few hundred
            # loans hold a class and the next day's join walks the book by index (4x slower, measured).
            uow.conn.execute(text("ANALYZE finance_class_change"))
        return count
