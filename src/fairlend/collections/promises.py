"""Promises to pay: counted as repayments post, kept or broken at end of day.

A promise (date, amount) taken by a collector (`CollectorDesk.promise`) is kept
when repayments since it was made reach the amount by the date
(`count_repayments`, in lending's repayment transaction), and broken otherwise:
the end-of-day step `collections.promises` marks it and puts the account back
in the queue for the next day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from fairlend.batch.model import Partition
from fairlend.collections.ladder import priority
from fairlend.collections.model import LoanState, Medium, PromiseStatus, TaskStatus
from fairlend.collections.ports import LendingPort
from fairlend.collections.tables import collection_task, promise_to_pay
from fairlend.db.uow import UnitOfWork
from fairlend.events import DomainEvent
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.money import Money

MAX_PROMISE_DAYS = 31  # a promise further out is a payment plan, not a promise
BROKEN_STEP = "promise_broken"


@dataclass(frozen=True, slots=True)
class PromiseView:
    id: str
    borrower_id: str
    loan_id: str
    made_on: date
    due_on: date
    amount: Money
    paid: Money
    status: PromiseStatus
    collector_id: str
    resolved_on: date | None


def promise_view(r: Any) -> PromiseView:
    return PromiseView(
        r.id,
        r.borrower_id,
        r.loan_id,
        r.made_on,
        r.due_on,
        Money(r.amount_minor, r.currency),
        Money(r.paid_minor, r.currency),
        PromiseStatus(r.status),
        r.collector_id,
        r.resolved_on,
    )


def count_repayments(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
    """Count repayments towards their loans' pending promises; reaching the amount keeps one, at once.

    One read finds the pending promises of every loan paid (for a repayment file, thousands of
    loans and almost always no promise), and only the promises a payment reached are written.
    Payments count in the order they were posted: once one keeps the promise, later ones do not.
    """
    paid: dict[str, list[tuple[date, int]]] = {}
    for event in events:
        amount: Money = getattr(event, "amount")  # noqa: B009  lending's RepaymentPosted, by its field names
        day: date = getattr(event, "business_date")  # noqa: B009
        paid.setdefault(str(getattr(event, "loan_id")), []).append((day, amount.minor))  # noqa: B009
    p = promise_to_pay.c
    loan_ids = list(paid)
    for start in range(0, len(loan_ids), _IN_LIST):
        chunk = loan_ids[start : start + _IN_LIST]
        if len(chunk) == 1:  # a single repayment: no list to expand into the statement
            pending = uow.conn.execute(_PENDING_OF_LOAN, {"loan_id": chunk[0]}).all()
        else:
            pending = uow.conn.execute(_PENDING_OF_LOANS, {"loan_ids": chunk}).all()
        for r in pending:
            total, kept_on = r.paid_minor, None
            for day, minor in paid[r.loan_id]:
                if r.made_on <= day <= r.due_on:
                    total += minor
                    if total >= r.amount_minor:
                        kept_on = day
                        break
            if total == r.paid_minor:
                continue
            values: dict[str, Any] = {"paid_minor": p.paid_minor + (total - r.paid_minor)}
            if kept_on is not None:
                values.update(status=PromiseStatus.KEPT.value, resolved_on=kept_on)
            # Still pending when written: end-of-day may have broken it since the read (the loan's
            # lock, which this repayment holds, does not cover the promise's row).
            uow.conn.execute(
                update(promise_to_pay)
                .where(p.borrower_id == r.borrower_id, p.id == r.id, p.status == PromiseStatus.PENDING.value)
                .values(**values)
            )


# Loan ids per look-up: well under every database's limit on bound parameters.
_IN_LIST = 1000
# Built once: every repayment runs one (building the statement cost more than running it).
_PENDING = select(
    promise_to_pay.c.borrower_id,
    promise_to_pay.c.id,
    promise_to_pay.c.loan_id,
    promise_to_pay.c.made_on,
    promise_to_pay.c.due_on,
    promise_to_pay.c.amount_minor,
    promise_to_pay.c.paid_minor,
).where(promise_to_pay.c.status == PromiseStatus.PENDING.value)
_PENDING_OF_LOAN = _PENDING.where(promise_to_pay.c.loan_id == bindparam("loan_id"))
_PENDING_OF_LOANS = _PENDING.where(promise_to_pay.c.loan_id.in_(bindparam("loan_ids", expanding=True)))


class PromisesStep:
    """End of day D: every promise still pending whose date is D or earlier is broken, and its
    account goes back to the queue of D + 1 (the day collectors work next, as the planner's)."""

    name = "collections.promises"

    def __init__(self, profile: Profile, lending: LendingPort) -> None:
        self._profile = profile
        self._lending = lending

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        return self.run_partition(uow, business_date, None)

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        """The promises of one partition's borrowers (None: every borrower's)."""
        p = promise_to_pay.c
        due = [
            r
            for r in uow.conn.execute(
                select(promise_to_pay).where(p.status == PromiseStatus.PENDING.value, p.due_on <= business_date)
            )
            if part is None or part.holds(r.borrower_id)
        ]
        now = uow.clock.now()
        for r in due:
            kept = r.paid_minor >= r.amount_minor
            status = PromiseStatus.KEPT if kept else PromiseStatus.BROKEN
            uow.conn.execute(
                update(promise_to_pay)
                .where(p.borrower_id == r.borrower_id, p.id == r.id)
                .values(status=status.value, resolved_on=business_date)
            )
            facts = None if kept else self._lending.loan_facts(r.loan_id)
            if facts is None or facts.state is not LoanState.ACTIVE:
                continue
            uow.conn.execute(
                insert(collection_task).values(
                    borrower_id=r.borrower_id,
                    id=new_id("task"),
                    loan_id=r.loan_id,
                    business_date=business_date + timedelta(days=1),
                    step=BROKEN_STEP,
                    action="collect",
                    medium=Medium.CALL.value,
                    days_past_due=facts.days_past_due,
                    overdue_minor=facts.overdue_amount.minor,
                    currency=facts.overdue_amount.currency,
                    priority=priority(facts.days_past_due, facts.overdue_amount.minor),
                    status=TaskStatus.PENDING.value,
                    note=f"promise {r.id} broken",
                    created_at=now,
                )
            )
        return len(due)
