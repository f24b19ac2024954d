"""End-of-day collections planning: the day's tasks for every loan on the ladder.

An end-of-day step (`name`, `run(uow, business_date) -> int`) in lending's
end-of-day list. Set-based: one read of the overdue book from lending, one
read of settled loans, the steps computed in memory, and the tasks written in
batched inserts. Planning a date twice plans nothing the second time.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select

from fairlend.collections.events import CollectionsPlanned
from fairlend.collections.ladder import Ladder, priority
from fairlend.collections.model import TaskStatus
from fairlend.collections.ports import LendingPort
from fairlend.collections.tables import collection_plan_run, collection_task, settled_loan
from fairlend.db.uow import UnitOfWork
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile

BATCH = 10_000


class CollectionsPlanningStep:
    name = "collections.plan"

    def __init__(self, profile: Profile, lending: LendingPort, ladder: Ladder | None = None) -> None:
        self._profile = profile
        self._lending = lending
        self._ladder = ladder or Ladder.from_profile(profile)

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        conn = uow.conn
        done = conn.execute(
            select(collection_plan_run.c.tasks).where(collection_plan_run.c.business_date == business_date)
        ).first()
        if done is not None:
            return 0
        now = uow.clock.now()
        settled = {str(r) for r in conn.execute(select(settled_loan.c.loan_id)).scalars()}
        ladder = self._ladder
        currency = self._profile.currency
        pending = TaskStatus.PENDING.value
        rows: list[dict[str, object]] = []
        for loan in self._lending.delinquent_loans(1):
            if loan.loan_id in settled:
                continue
            dpd = loan.days_past_due
            minor = loan.overdue_amount.minor
            for step in ladder.steps_for_overdue(dpd):
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
            for due in self._lending.upcoming_dues(business_date, ladder.max_days_before):
                if due.loan_id in settled:
                    continue
                before = ladder.step_before_due((due.due_date - business_date).days)
                if before is None:
                    continue
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
        conn.execute(insert(collection_plan_run).values(business_date=business_date, tasks=len(rows), planned_at=now))
        uow.publish(CollectionsPlanned(len(rows), business_date))
        return len(rows)


_COLUMNS = [c.name for c in collection_task.columns]


def _copy_tasks(conn: Connection, rows: list[dict[str, object]]) -> None:
    """PostgreSQL's COPY through psycopg, in the unit of work's transaction: a day's plan is one stream."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY collection_task ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[name] for name in _COLUMNS])
