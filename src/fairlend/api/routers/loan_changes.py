"""Changes inside a loan's schedule over HTTP: a rate change from a date, a balance correction, a tranche.

Loan officers only; each takes an Idempotency-Key, is one transaction, and a
refusal is problem+json with the stable code (docs/lending.md, "Changes
inside a schedule"). The operator is the caller: the change names them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import LOAN_OFFICERS, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.routers.lending_models import MoneyPublic
from fairlend.identity.model import Principal
from fairlend.lending.views import ScheduleChanged
from fairlend.money import Money

router = APIRouter(tags=["lending"])

LoanOfficer = Annotated[Principal, Depends(require_roles(*LOAN_OFFICERS))]


class RateChangeCreate(BaseModel):
    rate: Decimal = Field(ge=0, le=10, description="the new nominal yearly rate, e.g. 0.12")
    effective: date | None = Field(default=None, description="from this day (default: the business date)")
    reason: str = Field(default="", max_length=200)


class BalanceCorrectionCreate(BaseModel):
    reduce_by: Amount = Field(gt=0, description="major units the principal was booked too high by")
    reason: str = Field(min_length=1, max_length=200)


class TrancheCreate(BaseModel):
    amount: Amount = Field(gt=0, description="major units paid out now, within the approved amount")
    reason: str = Field(default="", max_length=200)


class ScheduleChangedPublic(BaseModel):
    loan_id: str
    kind: str
    schedule_version: int
    rate: Decimal
    apr: Decimal
    principal_outstanding: MoneyPublic
    installment: MoneyPublic
    installments: int
    first_due_date: date
    maturity_date: date
    carried_interest: MoneyPublic
    written_off: MoneyPublic
    disbursed: MoneyPublic

    @classmethod
    def of(cls, done: ScheduleChanged) -> ScheduleChangedPublic:
        return cls(
            loan_id=done.loan_id,
            kind=done.kind,
            schedule_version=done.schedule_version,
            rate=done.rate,
            apr=done.apr,
            principal_outstanding=MoneyPublic.of(done.principal_outstanding),
            installment=MoneyPublic.of(done.installment),
            installments=done.installments,
            first_due_date=done.first_due_date,
            maturity_date=done.maturity_date,
            carried_interest=MoneyPublic.of(done.carried_interest),
            written_off=MoneyPublic.of(done.written_off),
            disbursed=MoneyPublic.of(done.disbursed),
        )


@router.post("/loans/{loan_id}/rate-changes", response_model=ScheduleChangedPublic, status_code=201)
def change_rate(
    loan_id: str,
    body: RateChangeCreate,
    container: ContainerDep,
    principal: LoanOfficer,
    idempotency_key: IdempotencyKey = None,
) -> ScheduleChangedPublic:
    """The loan's rate from a date: what remains rebuilt at it, the interest earned so far carried."""
    require_key(idempotency_key)
    done = container.lending.change_rate(
        loan_id, body.rate, operator_id=principal.subject_id, effective=body.effective, reason=body.reason
    )
    return ScheduleChangedPublic.of(done)


@router.post("/loans/{loan_id}/balance-corrections", response_model=ScheduleChangedPublic, status_code=201)
def correct_balance(
    loan_id: str,
    body: BalanceCorrectionCreate,
    container: ContainerDep,
    principal: LoanOfficer,
    idempotency_key: IdempotencyKey = None,
) -> ScheduleChangedPublic:
    """Lower the principal booked too high; the rest re-amortised over the same due dates."""
    require_key(idempotency_key)
    amount = Money.of(body.reduce_by, container.profile.currency)
    done = container.lending.correct_balance(loan_id, amount, operator_id=principal.subject_id, reason=body.reason)
    return ScheduleChangedPublic.of(done)


@router.post("/loans/{loan_id}/tranches", response_model=ScheduleChangedPublic, status_code=201)
def disburse_tranche(
    loan_id: str,
    body: TrancheCreate,
    container: ContainerDep,
    principal: LoanOfficer,
    idempotency_key: IdempotencyKey = None,
) -> ScheduleChangedPublic:
    """Pay out a tranche of a multi-disbursement loan's approved amount; what remains re-computed with it."""
    require_key(idempotency_key)
    amount = Money.of(body.amount, container.profile.currency)
    done = container.lending.disburse_tranche(loan_id, amount, operator_id=principal.subject_id, reason=body.reason)
    return ScheduleChangedPublic.of(done)
