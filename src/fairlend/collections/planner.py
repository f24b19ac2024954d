"""End-of-day collections planning: the day's tasks for every loan on the ladder, in SQL.

An end-of-day step (`name`, `run(uow, business_date) -> int`) in lending's
end-of-day list. Set-based: one `INSERT INTO collection_task SELECT ...` per
partition, over lending's published views (the overdue book and the dues
ahead, through the `LendingPort`: collections never names lending's tables)
joined to the ladder (a constant table built from the profile), with P-10's
rules as anti-joins on `settled_loan` and `loan_hardship`; ids, priorities and
the reminders' one-per-date sums are made in the same statement
(`plan_sql.py`). No row passes through Python: planning costs what writing
its rows costs (docs/performance.md, "End-of-day, the whole platform's day").
Planning a date twice plans nothing the second time.

End-of-day in partitions (lending/eod.py) plans one partition's borrowers at a
time (`run_partition`, in the partition's transaction, which makes it run
once) and records the date's plan and its event once every partition has
committed (`close_partitions`).

P-10: a loan whose borrower has an open hardship request gets no contact
steps (its decisions for a person stay); a loan under a kept plan is off the
ladder, and its reminders before a due date are the plan's own reminder (or
none where the profile has no such template). A settled loan gets nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)

from fairlend.batch.model import Partition
from fairlend.collections import plan_sql
from fairlend.collections.events import CollectionsPlanned
from fairlend.collections.ladder import Ladder
from fairlend.collections.model import HardshipState, TaskStatus
from fairlend.collections.ports import LendingPort
from fairlend.collections.tables import collection_plan_run, collection_task, loan_hardship, settled_loan
from fairlend.db.uow import UnitOfWork
from fairlend.ids import new_block
from fairlend.jurisdiction.model import Profile

NO_CONTACT = "none"  # a ladder step's medium when it is a decision for a person, not a contact
PLAN_REMINDER = "plan_reminder"  # the action, and the template id, of a kept plan's reminder (P-10)
_PLAN = HardshipState.PLAN.value
_REQUEST = HardshipState.REQUEST.value
_PLANNED = ("borrower_id", "loan_id", "step", "action", "medium", "days_past_due", "overdue_minor", "currency")


class CollectionsPlanningStep:
    name = "collections.plan"

    def __init__(self, profile: Profile, lending: LendingPort, ladder: Ladder | None = None) -> None:
        self._profile = profile
        self._lending = lending
        self._ladder = ladder or Ladder.from_profile(profile)

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        if _planned(uow.conn, business_date):
            return 0
        count = self._plan(uow, business_date, None)
        self.close_partitions(uow, business_date, count)
        return count

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        """The tasks of one partition's borrowers; the date's plan is recorded by `close_partitions`."""
        if part is None:
            return self.run(uow, business_date)
        if _planned(uow.conn, business_date):
            return 0
        return self._plan(uow, business_date, part)

    def close_partitions(self, uow: UnitOfWork, business_date: date, count: int) -> None:
        """Every partition planned: the date's plan (planning it again plans nothing) and its event."""
        if _planned(uow.conn, business_date):
            return
        uow.conn.execute(
            insert(collection_plan_run).values(business_date=business_date, tasks=count, planned_at=uow.clock.now())
        )
        uow.publish(CollectionsPlanned(count, business_date))

    def _plan(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        conn = uow.conn
        planned = [self._overdue(conn, part)]
        if self._ladder.before_due:
            planned.append(self._reminders(conn, business_date, part))
        rows = union_all(*planned).subquery("planned")
        # Numbered in the Python planner's order (most overdue first, a loan's steps in the ladder's order,
        # then the reminders): the block's ids sort the way one `new_id` per row did.
        n = func.row_number().over(order_by=(rows.c.kind, rows.c.priority.desc(), rows.c.loan_id, rows.c.ord)) - 1
        block = new_block("task")
        tasks = select(
            rows.c.borrower_id,
            plan_sql.block_id(block, n).label("id"),
            rows.c.loan_id,
            literal(business_date, Date).label("business_date"),
            *(rows.c[name] for name in _PLANNED[2:]),
            rows.c.priority,
            literal(TaskStatus.PENDING.value, String).label("status"),
            literal("", String).label("note"),
            literal(uow.clock.now(), collection_task.c.created_at.type).label("created_at"),
        )
        columns = ["borrower_id", "id", "loan_id", "business_date", *_PLANNED[2:]]
        columns += ["priority", "status", "note", "created_at"]
        statement = insert(collection_task).from_select(columns, tasks)
        written = conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount
        if written < 0:  # Python's sqlite3 counts no rows for a statement that starts with WITH
            written = int(conn.execute(select(func.changes())).scalar_one())
        return written

    def _overdue(self, conn: Connection, part: Partition | None) -> Select[Any]:
        """Each overdue loan's steps for its days past due: the ladder joined on `lo <= dpd <= hi`."""
        # Materialized: left to itself SQLite puts the 8-row ladder outside and scans the loans once per rung.
        book = self._lending.overdue_book(conn, 1, part).cte("book").prefix_with("MATERIALIZED")
        ladder = plan_sql.overdue_steps(self._ladder).subquery("ladder")
        hold = loan_hardship.alias("hold")
        return (
            select(
                literal(0, Integer).label("kind"),
                book.c.borrower_id,
                book.c.loan_id,
                ladder.c.step,
                ladder.c.action,
                ladder.c.medium,
                book.c.dpd.label("days_past_due"),
                book.c.overdue_minor,
                book.c.currency,
                plan_sql.priority(book.c.dpd, book.c.overdue_minor).label("priority"),
                ladder.c.ord,
            )
            .select_from(
                book.join(ladder, and_(book.c.dpd >= ladder.c.lo, book.c.dpd <= ladder.c.hi)).outerjoin(
                    hold, and_(hold.c.borrower_id == book.c.borrower_id, hold.c.loan_id == book.c.loan_id)
                )
            )
            .where(
                ~_settled(book.c.borrower_id, book.c.loan_id),
                # P-10: a kept plan is off the ladder; an open request keeps only the decisions for a person.
                or_(hold.c.state.is_(None), hold.c.state.not_in((_PLAN, _REQUEST)), ladder.c.medium == NO_CONTACT),
                or_(hold.c.state.is_(None), hold.c.state != _PLAN),
            )
        )

    def _reminders(self, conn: Connection, business_date: date, part: Partition | None) -> Select[Any]:
        """One reminder per loan and due date ahead, its installments' amounts summed."""
        last = business_date + timedelta(days=self._ladder.max_days_before)
        dues = self._lending.dues_book(conn, business_date, last, part).subquery("due")
        one_per_day = (
            select(
                dues.c.borrower_id,
                dues.c.loan_id,
                (dues.c.due_day - business_date.toordinal()).label("days"),
                func.sum(dues.c.amount_minor).label("amount_minor"),
                dues.c.currency,
            )
            .group_by(dues.c.borrower_id, dues.c.loan_id, dues.c.due_day, dues.c.currency)
            .subquery("day")
        )
        before = plan_sql.before_due_steps(self._ladder).subquery("before")
        hold = loan_hardship.alias("hold")
        on_plan = and_(hold.c.state.is_not(None), hold.c.state == _PLAN)
        plan_reminder = self._profile.collections.content.template(PLAN_REMINDER)
        currency = one_per_day.c.currency
        query = (
            select(
                literal(1, Integer).label("kind"),
                one_per_day.c.borrower_id,
                one_per_day.c.loan_id,
                before.c.step,
                case((on_plan, literal(PLAN_REMINDER, String)), else_=before.c.action).label("action"),
                before.c.medium,
                (-one_per_day.c.days).label("days_past_due"),
                one_per_day.c.amount_minor.label("overdue_minor"),
                case(
                    (or_(currency.is_(None), currency == ""), literal(self._profile.currency, String)), else_=currency
                ).label("currency"),
                literal(0, BigInteger).label("priority"),
                literal(0, Integer).label("ord"),
            )
            .select_from(
                one_per_day.join(before, before.c.days == one_per_day.c.days).outerjoin(
                    hold,
                    and_(hold.c.borrower_id == one_per_day.c.borrower_id, hold.c.loan_id == one_per_day.c.loan_id),
                )
            )
            .where(~_settled(one_per_day.c.borrower_id, one_per_day.c.loan_id))
        )
        if plan_reminder is None:  # P-10: the plan's own reminder, or nothing where the profile has none
            query = query.where(or_(hold.c.state.is_(None), hold.c.state != _PLAN))
        return query


def _settled(borrower_id: Any, loan_id: Any) -> Any:
    return exists().where(settled_loan.c.borrower_id == borrower_id, settled_loan.c.loan_id == loan_id)


def _planned(conn: Connection, business_date: date) -> bool:
    found = conn.execute(
        select(collection_plan_run.c.tasks).where(collection_plan_run.c.business_date == business_date)
    ).first()
    return found is not None
