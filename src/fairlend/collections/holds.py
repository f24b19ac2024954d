"""Collections follows the borrower's hardship requests and plans (P-10), in hardship's own transactions.

In-process subscribers on hardship's events, as settlement's is on lending's
(`CollectionsService.on_loan_settled`, P-2): each runs inside the transaction
that filed the request or started, broke or ended the plan, and records the
loan's state in `loan_hardship`, which the policy reads at the moment of
sending and the planner reads when it plans the day.

Why not ask hardship at sending time, as the bureau is asked about disputes?
The bureau is another institution, so its answer can only come from before
the gateway's transaction. Hardship is in-process: recording the state here,
under the borrower's chain lock, orders a filing against every attempt. An
attempt in flight finishes first (it was decided before the request); every
later one waits for the lock and then sees the request. Nothing is asked of
another context on the gateway's hot path either.

A request filed or a plan started also cancels the loan's pending tasks that
would now be refused (the queue shows nothing a collector may not do); a plan
broken or ended lets the next day's planning put the loan back on the ladder.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.collections import log
from fairlend.collections.events import TasksCancelled
from fairlend.collections.model import HardshipState, TaskStatus
from fairlend.collections.tables import collection_task, loan_hardship
from fairlend.db.uow import UnitOfWork
from fairlend.events import DomainEvent, to_payload

REQUEST_FILED = "hardship.RequestFiled"
PLAN_STARTED = "hardship.PlanStarted"
REQUEST_DECLINED = "hardship.RequestDeclined"
REQUEST_EXPIRED = "hardship.RequestExpired"  # the offer was not accepted in time: the request is closed
PLAN_BROKEN = "hardship.PlanBroken"
PLAN_ENDED = "hardship.PlanEnded"
# Which state each event ends, and the payload field naming the request or plan it is about.
RELEASES = {
    REQUEST_DECLINED: (HardshipState.REQUEST, "request_id"),
    REQUEST_EXPIRED: (HardshipState.REQUEST, "request_id"),
    PLAN_BROKEN: (HardshipState.PLAN, "plan_id"),
    PLAN_ENDED: (HardshipState.PLAN, "plan_id"),
}
EVENT_TYPES = (REQUEST_FILED, PLAN_STARTED, *RELEASES)

# Tasks that stay while a request is open: reminders before a due date and decisions for a person.
_KEPT_WHILE_REQUESTED = or_(collection_task.c.action == "reminder", collection_task.c.medium == "none")


def _upsert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def on_hardship_event(uow: UnitOfWork, event: DomainEvent) -> None:
    """The subscriber for every event in EVENT_TYPES."""
    payload = to_payload(event)
    loan_id, borrower_id = str(payload["loan_id"]), str(payload["borrower_id"])
    day = date.fromisoformat(str(payload.get("business_date") or uow.clock.business_date().isoformat()))
    if event.event_type in RELEASES:
        state, field = RELEASES[event.event_type]
        _release(uow, borrower_id, loan_id, state, str(payload[field]))
    elif event.event_type == REQUEST_FILED:
        _hold(uow, borrower_id, loan_id, HardshipState.REQUEST, str(payload["request_id"]), day)
    elif event.event_type == PLAN_STARTED:
        _hold(uow, borrower_id, loan_id, HardshipState.PLAN, str(payload["plan_id"]), day)


def _hold(uow: UnitOfWork, borrower_id: str, loan_id: str, state: HardshipState, reference: str, day: date) -> None:
    conn = uow.conn
    # The borrower's chain lock orders this against attempts: one in flight finishes first, later ones see it.
    log.lock_head(conn, borrower_id)
    values = {"state": state.value, "reference": reference, "since": day, "recorded_at": uow.clock.now()}
    stmt = _upsert(uow.dialect)(loan_hardship).values(borrower_id=borrower_id, loan_id=loan_id, **values)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=[loan_hardship.c.borrower_id, loan_hardship.c.loan_id], set_=values)
    )
    pending = [
        collection_task.c.borrower_id == borrower_id,
        collection_task.c.loan_id == loan_id,
        collection_task.c.status == TaskStatus.PENDING.value,
    ]
    if state is HardshipState.REQUEST:
        pending.append(~_KEPT_WHILE_REQUESTED)
    note = "hardship request (P-10)" if state is HardshipState.REQUEST else "hardship plan (P-10)"
    cancelled = conn.execute(
        update(collection_task).where(*pending).values(status=TaskStatus.CANCELLED.value, note=note)
    ).rowcount
    uow.publish(TasksCancelled(loan_id, borrower_id, int(cancelled or 0), note, uow.clock.business_date()))


def _release(uow: UnitOfWork, borrower_id: str, loan_id: str, state: HardshipState, reference: str) -> None:
    # Only the request or plan the event is about: a later one on the same loan keeps its hold.
    uow.conn.execute(
        delete(loan_hardship).where(
            loan_hardship.c.borrower_id == borrower_id,
            loan_hardship.c.loan_id == loan_id,
            loan_hardship.c.state == state.value,
            loan_hardship.c.reference == reference,
        )
    )
