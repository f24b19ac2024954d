"""End-of-day collections planning: the day's tasks for every loan on the ladder.

An end-of-day step (`name`, `run(uow, business_date) -> int`) in lending's
end-of-day list. Set-based: one read of the overdue book from lending, one
read each of settled loans and loans in hardship, the steps computed in
memory, and the tasks written in batched inserts. Planning a date twice plans
nothing the second time.

End-of-day in partitions (lending/eod.py) plans one partition's borrowers at a
time (`run_partition`, in the partition's transaction, which makes it run
once) and records the date's plan and its event once every partition has
committed (`close_partitions`).

P-10: a loan whose borrower has an open hardship request gets no contact
steps (its decisions for a person stay); a loan under a kept plan is off the
ladder, and its reminders before a due date are the plan's own reminder.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from sqlalchemy import Connection, insert, select

from fairlend.batch.model import Partition
from fairlend.collections.events import CollectionsPlanned
from fairlend.collections.ladder import Ladder, priority
from fairlend.collections.model import HardshipState, TaskStatus
from fairlend.collections.ports import LendingPort, UpcomingDue
from fairlend.collections.tables import collection_plan_run, collection_task, loan_hardship, settled_loan
from fairlend.db.uow import UnitOfWork
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile

BATCH = 10_000
NO_CONTACT = "none"  # a ladder step's medium when it is a decision for a person, not a contact
PLAN_REMINDER = "plan_reminder"  # the action, and the template id, of a kept plan's reminder (P-10)
_HOLDS = select(loan_hardship.c.loan_id, loan_hardship.c.state)


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
        now = uow.clock.now()
        settled = {str(r) for r in conn.execute(select(settled_loan.c.loan_id)).scalars()}
        holds = {str(loan): HardshipState(state) for loan, state in conn.execute(_HOLDS)}
        ladder = self._ladder
        plan_reminder = self._profile.collections.content.template(PLAN_REMINDER)
        currency = self._profile.currency
        pending = TaskStatus.PENDING.value
        rows: list[dict[str, object]] = []
        for loan in self._lending.delinquent_loans(1, part):
            hold = holds.get(loan.loan_id)
            if loan.loan_id in settled or hold is HardshipState.PLAN:
                continue  # P-10: a kept plan is off the ladder; breaking it puts the loan back
            dpd = loan.days_past_due
            minor = loan.overdue_amount.minor
            for step in ladder.steps_for_overdue(dpd):
                if hold is HardshipState.REQUEST and step.medium != NO_CONTACT:
                    continue  # P-10: contacts pause while the request is open; decisions for a person stay
                rows.append(
                    {
                        "borrower_id": loan.borrower_id,
                        "id": new_id("task"),
                        "loan_id": loan.loan_id,
                        "business_date": business_date,
                        "step": step.step,
                        "action": step.action,
                        "medium": step.medium,
                        "days_past_due": dpd,
                        "overdue_minor": minor,
                        "currency": loan.overdue_amount.currency,
                        "priority": priority(dpd, minor),
                        "status": pending,
                        "note": "",
                        "created_at": now,
                    }
                )
        if ladder.before_due:
            for due in _one_per_day(self._lending.upcoming_dues(business_date, ladder.max_days_before, part)):
                if due.loan_id in settled:
                    continue
                before = ladder.step_before_due((due.due_date - business_date).days)
                if before is None:
                    continue
                if holds.get(due.loan_id) is HardshipState.PLAN:
                    # P-10: the plan's own reminder, or nothing where the profile has none.
                    if plan_reminder is None:
                        continue
                    before = replace(before, action=PLAN_REMINDER)
                rows.append(
                    {
                        "borrower_id": due.borrower_id,
                        "id": new_id("task"),
                        "loan_id": due.loan_id,
                        "business_date": business_date,
                        "step": before.step,
                        "action": before.action,
                        "medium": before.medium,
                        "days_past_due": -(due.due_date - business_date).days,
                        "overdue_minor": due.amount_due.minor,
                        "currency": due.amount_due.currency or currency,
                        "priority": 0,
                        "status": pending,
                        "note": "",
                        "created_at": now,
                    }
                )
        if uow.dialect == "postgresql":
            _copy_tasks(conn, rows)
        else:
            statement = insert(collection_task)
            for start in range(0, len(rows), BATCH):
                conn.execute(statement, rows[start : start + BATCH])
        return len(rows)


def _planned(conn: Connection, business_date: date) -> bool:
    found = conn.execute(
        select(collection_plan_run.c.tasks).where(collection_plan_run.c.business_date == business_date)
    ).first()
    return found is not None


def _one_per_day(dues: Iterable[UpcomingDue]) -> list[UpcomingDue]:
    """One reminder per loan and due date: a plan bills what it carries on rows of its own due dates."""
    merged: dict[tuple[str, date], UpcomingDue] = {}
    for due in dues:
        key = (due.loan_id, due.due_date)
        held = merged.get(key)
        merged[key] = due if held is None else replace(held, amount_due=held.amount_due + due.amount_due)
    return list(merged.values())


_COLUMNS = [c.name for c in collection_task.columns]


def _copy_tasks(conn: Connection, rows: list[dict[str, object]]) -> None:
    """PostgreSQL's COPY through psycopg, in the unit of work's transaction: a day's plan is one stream."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY collection_task ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in _COLUMNS])
