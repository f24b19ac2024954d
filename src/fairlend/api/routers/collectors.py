"""The collector's desk over HTTP: the filtered queue, what is allowed now, call outcomes, promises.

Thin: parse, call the desk or the gateway, render. Collectors only (api/auth.py
`COLLECTORS`); compliance reads the same records through the collections
routes and never works the queue.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import Collector
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.api.routers.collections import Public, TaskPublic
from fairlend.bootstrap import Container
from fairlend.collections.desk import CollectorDesk, QueueFilter
from fairlend.collections.model import CallOutcome
from fairlend.collections.promises import PromiseView
from fairlend.money import Money

router = APIRouter(prefix="/collections", tags=["collections"])


def _desk(container: Container) -> CollectorDesk:
    assert container.collections is not None, "collections is wired in bootstrap"
    return container.collections.desk


class QueueItemPublic(Public):
    """A task of the day's plan (as `GET /collections/tasks` shows it) and what the desk adds."""

    task: TaskPublic
    bucket: str
    last_contact_at: datetime | None
    promise_due: date | None
    promise_broken: bool


class OptionPublic(BaseModel):
    medium: str
    recipient_kind: str
    recipient_id: str
    number_masked: str
    template: str
    allowed: bool
    rules: list[str]
    until: datetime | None
    opens: datetime | None


class AllowedNowPublic(BaseModel):
    loan_id: str
    borrower_id: str
    at: datetime
    debtor_timezone: str
    debtor_local_time: str
    options: list[OptionPublic]


class OutcomeCreate(BaseModel):
    outcome: CallOutcome
    note: str = Field(default="", max_length=500)


class OutcomePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    log_id: str
    loan_id: str
    outcome: CallOutcome
    note: str
    collector_id: str
    recorded_at: datetime


class PromiseCreate(BaseModel):
    due_on: date
    amount: Amount = Field(gt=0, description="major units, e.g. 500.00")
    log_id: str = Field(default="", max_length=40, description="the call the promise was made on")


class PromisePublic(BaseModel):
    id: str
    loan_id: str
    made_on: date
    due_on: date
    amount_minor: int
    paid_minor: int
    currency: str
    status: str
    collector_id: str
    resolved_on: date | None


def _promise(view: PromiseView) -> PromisePublic:
    return PromisePublic(
        id=view.id,
        loan_id=view.loan_id,
        made_on=view.made_on,
        due_on=view.due_on,
        amount_minor=view.amount.minor,
        paid_minor=view.paid.minor,
        currency=view.amount.currency,
        status=view.status.value,
        collector_id=view.collector_id,
        resolved_on=view.resolved_on,
    )


@router.get("/desk/queue", response_model=list[QueueItemPublic])
def desk_queue(
    principal: Collector,
    container: ContainerDep,
    business_date: date | None = None,
    bucket: Annotated[str | None, Query(max_length=20)] = None,
    min_dpd: Annotated[int | None, Query(ge=0, le=9_999)] = None,
    max_dpd: Annotated[int | None, Query(ge=0, le=9_999)] = None,
    promise: Literal["due", "pending", "broken", "none"] | None = None,
    last_contact: Literal["never", "before_today", "today"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[QueueItemPublic]:
    """The day's pending tasks in the ladder's priority (older debts, then larger), filtered."""
    on = business_date or container.clock.business_date()
    filters = QueueFilter(bucket or None, min_dpd, max_dpd, promise, last_contact)
    return [QueueItemPublic.model_validate(i) for i in _desk(container).queue(on, filters, limit=limit, offset=offset)]


@router.get("/loans/{loan_id}/allowed-now", response_model=AllowedNowPublic)
def allowed_now(loan_id: str, principal: Collector, container: ContainerDep) -> AllowedNowPublic:
    """What the gateway would decide for each medium and number at this moment (nothing is recorded)."""
    assert container.collections is not None
    preview = container.collections.gateway.preview(loan_id)
    return AllowedNowPublic(
        loan_id=preview.loan_id,
        borrower_id=preview.borrower_id,
        at=preview.at,
        debtor_timezone=preview.debtor_timezone,
        debtor_local_time=preview.debtor_local.isoformat(timespec="minutes"),
        options=[
            OptionPublic(
                medium=o.medium.value,
                recipient_kind=o.recipient_kind.value,
                recipient_id=o.recipient_id,
                number_masked=o.masked,
                template=o.template,
                allowed=o.allowed,
                rules=list(o.rules),
                until=o.until,
                opens=o.opens,
            )
            for o in preview.options
        ],
    )


@router.post("/attempts/{log_id}/outcome", status_code=201, response_model=OutcomePublic)
def record_outcome(
    log_id: str, body: OutcomeCreate, principal: Collector, container: ContainerDep, key: IdempotencyKey = None
) -> OutcomePublic:
    view = _desk(container).record_outcome(log_id, body.outcome, body.note, principal.subject_id)
    return OutcomePublic.model_validate(view)


@router.post("/loans/{loan_id}/promises", status_code=201, response_model=PromisePublic)
def make_promise(
    loan_id: str, body: PromiseCreate, principal: Collector, container: ContainerDep, key: IdempotencyKey = None
) -> PromisePublic:
    assert container.collections is not None
    facts = container.collections.lending.loan_facts(loan_id)
    currency = facts.currency if facts is not None else container.profile.currency
    view = _desk(container).promise(
        loan_id, body.due_on, Money.of(body.amount, currency), principal.subject_id, body.log_id
    )
    return _promise(view)


@router.get("/loans/{loan_id}/promises", response_model=list[PromisePublic])
def promises(loan_id: str, principal: Collector, container: ContainerDep) -> list[PromisePublic]:
    return [_promise(v) for v in _desk(container).promises_for(loan_id)]
