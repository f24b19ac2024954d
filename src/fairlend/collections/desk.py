"""The collector's desk: the filtered queue, call outcomes and promises to pay.

- The queue is the day's pending tasks in the ladder's priority (older debts,
  then larger ones: `ladder.priority`), filtered by bucket, days overdue, a
  promise to pay and the last contact.
- A call outcome is what the collector heard on a call, kept against the
  attempt's log row (the hash-chained log is never updated).
- A promise to pay (date, amount) is taken here; promises.py counts the
  repayments towards it and keeps or breaks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError

from fairlend.collections.model import CallOutcome, LoanState, Medium, Outcome, PromiseStatus, TaskStatus
from fairlend.collections.ports import LendingPort
from fairlend.collections.promises import MAX_PROMISE_DAYS, PromiseView, count_repayments, promise_view
from fairlend.collections.tables import call_outcome, collection_task, contact_log, promise_to_pay
from fairlend.collections.views import TaskView, task_view
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.events import DomainEvent
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.money import Money

MAX_NOTE = 500
PROMISE_FILTERS = ("due", "pending", "broken", "none")
CONTACT_FILTERS = ("never", "before_today", "today")


@dataclass(frozen=True, slots=True)
class OutcomeView:
    id: str
    log_id: str
    loan_id: str
    outcome: CallOutcome
    note: str
    collector_id: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class QueueFilter:
    bucket: str | None = None  # a profile bucket's name
    min_dpd: int | None = None
    max_dpd: int | None = None
    promise: str | None = None  # due (on or before the day) | pending | broken (this week) | none
    last_contact: str | None = None  # never | before_today | today


@dataclass(frozen=True, slots=True)
class QueueItem:
    task: TaskView
    bucket: str
    last_contact_at: datetime | None
    promise_due: date | None  # the pending promise's date
    promise_broken: bool  # a promise broke in the last week


def bucket_name(profile: Profile, dpd: int) -> str:
    """The profile's bucket for `dpd` days past due; "" where a profile's buckets leave a gap."""
    try:
        return profile.bucket_for(dpd).name
    except ValueError:
        return ""


class CollectorDesk:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile, lending: LendingPort) -> None:
        self._uow = uow
        self._profile = profile
        self._lending = lending

    # -- the queue -------------------------------------------------------------------

    def queue(
        self, business_date: date, filters: QueueFilter = QueueFilter(), *, limit: int = 50, offset: int = 0
    ) -> list[QueueItem]:
        task = collection_task.c
        # The last message that went out: a blocked attempt or an unsent dispatch reached nobody.
        last = (
            select(func.max(contact_log.c.at))
            .where(
                contact_log.c.borrower_id == task.borrower_id,
                contact_log.c.loan_id == task.loan_id,
                contact_log.c.outcome == Outcome.SENT.value,
            )
            .scalar_subquery()
        )
        pending = (
            select(func.min(promise_to_pay.c.due_on))
            .where(promise_to_pay.c.loan_id == task.loan_id, promise_to_pay.c.status == PromiseStatus.PENDING.value)
            .scalar_subquery()
        )
        broken = (
            select(promise_to_pay.c.id)
            .where(
                promise_to_pay.c.loan_id == task.loan_id,
                promise_to_pay.c.status == PromiseStatus.BROKEN.value,
                promise_to_pay.c.resolved_on >= business_date - timedelta(days=7),
            )
            .exists()
        )
        query: Select[Any] = select(
            collection_task, last.label("last_contact"), pending.label("promise_due"), broken.label("broken")
        ).where(task.business_date == business_date, task.status == TaskStatus.PENDING.value)
        query = self._filtered(query, filters, business_date, last, pending, broken)
        query = query.order_by(task.priority.desc(), task.id).limit(limit).offset(offset)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query).all()
        items = []
        for r in rows:
            items.append(
                QueueItem(
                    task_view(r),
                    bucket_name(self._profile, r.days_past_due),
                    r.last_contact,
                    r.promise_due,
                    bool(r.broken),
                )
            )
        return items

    def _filtered(
        self, query: Select[Any], f: QueueFilter, on: date, last: Any, pending: Any, broken: Any
    ) -> Select[Any]:
        dpd = collection_task.c.days_past_due
        if f.bucket:
            found = next((b for b in self._profile.delinquency_buckets if b.name == f.bucket), None)
            if found is None:
                raise Invalid("unknown_bucket", f"no bucket {f.bucket!r} in this jurisdiction")
            query = query.where(dpd >= found.min_dpd)
            if found.max_dpd is not None:
                query = query.where(dpd <= found.max_dpd)
        if f.min_dpd is not None:
            query = query.where(dpd >= f.min_dpd)
        if f.max_dpd is not None:
            query = query.where(dpd <= f.max_dpd)
        if f.promise is not None:
            if f.promise not in PROMISE_FILTERS:
                raise Invalid("unknown_filter", f"promise is one of {', '.join(PROMISE_FILTERS)}")
            query = query.where(
                {
                    "due": pending <= on,
                    "pending": pending.is_not(None),
                    "broken": broken,
                    "none": pending.is_(None),
                }[f.promise]
            )
        if f.last_contact is not None:
            if f.last_contact not in CONTACT_FILTERS:
                raise Invalid("unknown_filter", f"last_contact is one of {', '.join(CONTACT_FILTERS)}")
            start = self._start_of(on)
            query = query.where(
                {"never": last.is_(None), "before_today": last < start, "today": last >= start}[f.last_contact]
            )
        return query

    def _start_of(self, day: date) -> datetime:
        from fairlend.collections.hours import local_midnight_utc, zone

        return local_midnight_utc(day, zone(self._profile.timezone))

    # -- call outcomes ---------------------------------------------------------------

    def record_outcome(self, log_id: str, outcome: CallOutcome, note: str, collector_id: str) -> OutcomeView:
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise Invalid("note_too_long", f"at most {MAX_NOTE} characters")
        with self._uow() as uow:
            row = uow.conn.execute(
                select(
                    contact_log.c.borrower_id, contact_log.c.loan_id, contact_log.c.medium, contact_log.c.outcome
                ).where(contact_log.c.id == log_id, contact_log.c.resolves == "")
            ).first()
            if row is None:
                raise NotFound("attempt_not_found", f"no contact attempt {log_id}")
            if row.medium != Medium.CALL.value:
                raise Invalid("not_a_call", "an outcome is recorded for a call")
            if row.outcome == Outcome.BLOCKED.value:
                raise Invalid("attempt_blocked", "a blocked attempt reached nobody: there is nothing to record")
            taken = uow.conn.execute(select(call_outcome.c.id).where(call_outcome.c.log_id == log_id)).first()
            if taken is not None:
                raise Conflict("outcome_recorded", "this call's outcome is recorded already")
            view = OutcomeView(new_id("out"), log_id, row.loan_id, outcome, note, collector_id, uow.clock.now())
            try:
                uow.conn.execute(
                    insert(call_outcome).values(
                        borrower_id=row.borrower_id,
                        id=view.id,
                        log_id=log_id,
                        loan_id=view.loan_id,
                        outcome=outcome.value,
                        note=note,
                        collector_id=collector_id,
                        recorded_at=view.recorded_at,
                    )
                )
                uow.commit()
            except IntegrityError:  # recorded by someone else since the check (uq_call_outcome_log_id)
                raise Conflict("outcome_recorded", "this call's outcome is recorded already") from None
        return view

    def outcomes_for(self, loan_id: str) -> dict[str, OutcomeView]:
        """The loan's recorded call outcomes by the attempt's log id."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(select(call_outcome).where(call_outcome.c.loan_id == loan_id)).all()
        return {
            r.log_id: OutcomeView(
                r.id, r.log_id, r.loan_id, CallOutcome(r.outcome), r.note, r.collector_id, r.recorded_at
            )
            for r in rows
        }

    # -- promises to pay -------------------------------------------------------------

    def promise(self, loan_id: str, due_on: date, amount: Money, collector_id: str, log_id: str = "") -> PromiseView:
        facts = self._lending.loan_facts(loan_id)
        if facts is None:
            raise NotFound("loan_not_found", f"no loan {loan_id}")
        if facts.state is not LoanState.ACTIVE:
            raise Invalid("loan_not_active", "a promise is taken on a loan still being repaid")
        if amount.currency != facts.currency:
            raise Invalid("currency_mismatch", f"the loan is in {facts.currency}")
        if amount.minor <= 0:
            raise Invalid("amount_not_positive", "a promise is to pay something")
        with self._uow() as uow:
            today = uow.clock.business_date()
            if not today <= due_on <= today + timedelta(days=MAX_PROMISE_DAYS):
                raise Invalid("promise_date", f"the date is today or within {MAX_PROMISE_DAYS} days")
            open_one = uow.conn.execute(
                select(promise_to_pay.c.id).where(
                    promise_to_pay.c.loan_id == loan_id, promise_to_pay.c.status == PromiseStatus.PENDING.value
                )
            ).first()
            if open_one is not None:
                raise Conflict("promise_pending", "this loan has a promise pending; it is kept or broken first")
            if (
                log_id
                and not uow.conn.execute(
                    select(contact_log.c.id).where(contact_log.c.id == log_id, contact_log.c.loan_id == loan_id)
                ).first()
            ):
                raise Invalid("attempt_not_for_loan", "the call a promise was made on is one about this loan")
            values = {
                "borrower_id": facts.borrower_id,
                "id": new_id("ptp"),
                "loan_id": loan_id,
                "made_on": today,
                "due_on": due_on,
                "amount_minor": amount.minor,
                "paid_minor": 0,
                "currency": amount.currency,
                "status": PromiseStatus.PENDING.value,
                "collector_id": collector_id,
                "log_id": log_id,
                "created_at": uow.clock.now(),
                "resolved_on": None,
            }
            try:
                uow.conn.execute(insert(promise_to_pay).values(**values))
                uow.commit()
            except IntegrityError:  # another collector's promise since the check (uq_promise_to_pay_one_pending)
                raise Conflict(
                    "promise_pending", "this loan has a promise pending; it is kept or broken first"
                ) from None
        return PromiseView(
            str(values["id"]),
            facts.borrower_id,
            loan_id,
            today,
            due_on,
            amount,
            Money.zero(amount.currency),
            PromiseStatus.PENDING,
            collector_id,
            None,
        )

    def promises_for(self, loan_id: str) -> list[PromiseView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(promise_to_pay).where(promise_to_pay.c.loan_id == loan_id).order_by(promise_to_pay.c.created_at)
            ).all()
        return [promise_view(r) for r in rows]

    def on_repayments_posted(self, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        """Count repayments towards their loans' pending promises (`promises.count_repayments`)."""
        count_repayments(uow, events)
