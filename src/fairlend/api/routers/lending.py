"""Products, quotes, loans, repayments and payoff quotes over HTTP.

Amounts go in as decimal strings in major units ("916.80", api/amounts.py: exact,
ASCII digits) and come out as {"amount", "minor", "currency"}. Calls that move money require an
Idempotency-Key (the middleware makes a replay return the first answer).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import LOAN_OFFICERS, Authenticated, ensure_can_read_owned, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.responses import model_response, models_response
from fairlend.api.routers.lending_models import MoneyPublic as MoneyPublic
from fairlend.api.routers.lending_models import ProductPublic, QuoteCreate, QuotePublic
from fairlend.identity.model import Principal, Role
from fairlend.lending.model import Product
from fairlend.lending.views import LoanDetail, PastRepayment, PayoffQuote, RepaymentResult
from fairlend.money import Money

router = APIRouter(tags=["lending"])

Operator = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.UNDERWRITER))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def _money(amount: Decimal, currency: str) -> Money:
    """Exact: an amount finer than the currency's smallest unit is refused (amount_too_precise)."""
    return Money.of(amount, currency)


# -- products ---------------------------------------------------------------------------


@router.get("/products", response_model=list[ProductPublic])
def list_products(container: ContainerDep, principal: Authenticated) -> list[ProductPublic]:
    return [ProductPublic.of(p) for p in container.lending.products.all()]


@router.get("/products/{code}", response_model=ProductPublic)
def get_product(
    code: str, container: ContainerDep, principal: Authenticated, version: int | None = None
) -> ProductPublic:
    return ProductPublic.of(container.lending.products.get(code, version))


@router.post("/products", response_model=ProductPublic, status_code=status.HTTP_201_CREATED)
def define_product(
    body: dict[str, Any], container: ContainerDep, principal: Admin, idempotency_key: IdempotencyKey = None
) -> ProductPublic:
    """Store a product (its fields as in `Product`); a known code gets its next version."""
    body = {k: v for k, v in body.items() if k != "version"}
    return ProductPublic.of(container.lending.products.define(Product.from_dict(body)))


# -- quotes -------------------------------------------------------------------------------


@router.post("/quotes", response_model=QuotePublic)
def create_quote(
    body: QuoteCreate, container: ContainerDep, principal: Authenticated, idempotency_key: IdempotencyKey = None
) -> Response:
    """The schedule, totals and APR; refused (403 apr_above_cap) above the jurisdiction's cap."""
    quote = container.lending.quote(
        body.product_code,
        _money(body.amount, container.profile.currency),
        version=body.version,
        rate=body.rate,
        term=body.term,
        open_date=body.open_date,
        first_due_date=body.first_due_date,
        installment=None if body.installment is None else _money(body.installment, container.profile.currency),
    )
    return model_response(QuotePublic.of(quote))


# -- loans ----------------------------------------------------------------------------------


class PastRepaymentIn(BaseModel):
    """A repayment an imported loan received before it came to fairlend."""

    paid_on: date = Field(alias="date", description="its business date: from the open date through today")
    amount: Amount = Field(description="major units, e.g. 916.80; positive")
    reference: str = Field(default="", max_length=80)


class LoanCreate(QuoteCreate):
    """The terms of a quote, lent to a borrower; with a past `open_date`, an imported loan and what it was repaid."""

    borrower_id: str = Field(min_length=1, max_length=40)
    repayments: list[PastRepaymentIn] = Field(
        default_factory=list,
        max_length=2000,
        description="past repayments, applied on their dates through the waterfall (importing a portfolio)",
    )


class InstallmentPublic(BaseModel):
    seq: int
    due_date: date
    status: str
    principal: MoneyPublic
    interest: MoneyPublic
    fee: MoneyPublic
    paid: MoneyPublic
    outstanding: MoneyPublic


class LoanPublic(BaseModel):
    id: str
    borrower_id: str
    state: str
    product_code: str
    product_version: int
    currency: str
    principal: MoneyPublic
    rate: Decimal
    apr: Decimal
    term: int
    frequency: str
    method: str
    open_date: date
    maturity_date: date
    installment: MoneyPublic
    outstanding_principal: MoneyPublic
    interest_due: MoneyPublic
    accrued_interest: MoneyPublic
    penalty_due: MoneyPublic
    fees_due: MoneyPublic
    total_outstanding: MoneyPublic
    overdue_amount: MoneyPublic
    days_past_due: int
    bucket: str
    first_delinquency_date: date | None
    settled_on: date | None
    next_due_date: date | None
    next_due_amount: MoneyPublic
    charged_off_amount: MoneyPublic
    recovered_amount: MoneyPublic
    schedule: list[InstallmentPublic]

    @classmethod
    def of(cls, d: LoanDetail) -> LoanPublic:
        f = d.facts
        return cls(
            id=f.loan_id,
            borrower_id=f.borrower_id,
            state=f.state.value,
            product_code=d.product_code,
            product_version=d.product_version,
            currency=f.currency,
            principal=MoneyPublic.of(d.principal),
            rate=d.rate,
            apr=d.apr,
            term=d.term,
            frequency=d.frequency.value,
            method=d.method.value,
            open_date=d.open_date,
            maturity_date=d.maturity_date,
            installment=MoneyPublic.of(d.installment),
            outstanding_principal=MoneyPublic.of(f.outstanding_principal),
            interest_due=MoneyPublic.of(d.interest_due),
            accrued_interest=MoneyPublic.of(d.accrued_interest),
            penalty_due=MoneyPublic.of(d.penalty_due),
            fees_due=MoneyPublic.of(d.fees_due),
            total_outstanding=MoneyPublic.of(f.total_outstanding),
            overdue_amount=MoneyPublic.of(f.overdue_amount),
            days_past_due=f.days_past_due,
            bucket=f.bucket,
            first_delinquency_date=d.first_delinquency_date,
            settled_on=f.settled_on,
            next_due_date=f.next_due_date,
            next_due_amount=MoneyPublic.of(f.next_due_amount),
            charged_off_amount=MoneyPublic.of(d.charged_off),
            recovered_amount=MoneyPublic.of(d.recovered),
            schedule=[
                InstallmentPublic(
                    seq=i.seq,
                    due_date=i.due_date,
                    status=i.status,
                    principal=MoneyPublic.of(i.principal),
                    interest=MoneyPublic.of(i.interest),
                    fee=MoneyPublic.of(i.fee),
                    paid=MoneyPublic.of(i.paid),
                    outstanding=MoneyPublic.of(i.outstanding),
                )
                for i in d.schedule
            ],
        )


@router.post("/loans", response_model=LoanPublic, status_code=status.HTTP_201_CREATED)
def book_loan(
    body: LoanCreate, container: ContainerDep, principal: Operator, idempotency_key: IdempotencyKey = None
) -> LoanPublic:
    """Book a loan for a borrower on a product version and disburse it (operators).

    Importing a portfolio: a past `open_date` and the `repayments` already received.
    """
    require_key(idempotency_key)
    currency = container.profile.currency
    loan_id = container.lending.book_loan(
        body.borrower_id,
        body.product_code,
        _money(body.amount, currency),
        version=body.version,
        rate=body.rate,
        term=body.term,
        open_date=body.open_date,
        first_due_date=body.first_due_date,
        installment=None if body.installment is None else _money(body.installment, currency),
        repayments=[PastRepayment(r.paid_on, _money(r.amount, currency), r.reference) for r in body.repayments],
    )
    return LoanPublic.of(container.lending.loan_detail(loan_id))


@router.get("/loans/{loan_id}", response_model=LoanPublic)
def get_loan(loan_id: str, container: ContainerDep, principal: Authenticated) -> Response:
    detail = container.lending.loan_detail(loan_id)
    ensure_can_read_owned(principal, detail.facts.borrower_id)
    return model_response(LoanPublic.of(detail))


@router.get("/borrowers/{borrower_id}/loans", response_model=list[LoanPublic])
def loans_of_borrower(borrower_id: str, container: ContainerDep, principal: Authenticated) -> Response:
    ensure_can_read_owned(principal, borrower_id)
    return models_response([LoanPublic.of(d) for d in container.lending.loan_details_of_borrower(borrower_id)])


class RepaymentCreate(BaseModel):
    amount: Amount = Field(gt=0)
    reference: str = Field(default="", max_length=80)


class RepaymentPublic(BaseModel):
    id: str
    loan_id: str
    kind: str  # repayment | recovery (after charge-off)
    state: str
    amount: MoneyPublic
    principal_paid: MoneyPublic
    interest_paid: MoneyPublic
    penalty_paid: MoneyPublic
    fees_paid: MoneyPublic
    prepayment_fee: MoneyPublic
    refunded: MoneyPublic
    outstanding_principal: MoneyPublic
    days_past_due: int

    @classmethod
    def of(cls, r: RepaymentResult) -> RepaymentPublic:
        return cls(
            id=r.repayment_id,
            loan_id=r.loan_id,
            kind=r.kind.value,
            state=r.state.value,
            amount=MoneyPublic.of(r.amount),
            principal_paid=MoneyPublic.of(r.principal_paid),
            interest_paid=MoneyPublic.of(r.interest_paid),
            penalty_paid=MoneyPublic.of(r.penalty_paid),
            fees_paid=MoneyPublic.of(r.fees_paid),
            prepayment_fee=MoneyPublic.of(r.prepayment_fee),
            refunded=MoneyPublic.of(r.refunded),
            outstanding_principal=MoneyPublic.of(r.outstanding_principal),
            days_past_due=r.days_past_due,
        )


@router.post("/loans/{loan_id}/repayments", response_model=RepaymentPublic, status_code=status.HTTP_201_CREATED)
def repay(
    loan_id: str,
    body: RepaymentCreate,
    container: ContainerDep,
    principal: Authenticated,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Apply a payment through the product's waterfall; on a charged-off loan, book it as a recovery.

    The owning borrower or a loan officer.
    """
    require_key(idempotency_key)
    facts = container.lending.loan_facts(loan_id)
    # Moving money is narrower than reading: collectors and compliance see loans but post no payments.
    ensure_can_read_owned(principal, facts.borrower_id, operator_roles=LOAN_OFFICERS)
    paid = container.lending.repay(loan_id, _money(body.amount, facts.currency), reference=body.reference)
    return model_response(RepaymentPublic.of(paid), status.HTTP_201_CREATED)


class PayoffPublic(BaseModel):
    loan_id: str
    as_of: date
    principal: MoneyPublic
    interest: MoneyPublic
    penalty: MoneyPublic
    fees: MoneyPublic
    prepayment_fee: MoneyPublic
    total: MoneyPublic

    @classmethod
    def of(cls, q: PayoffQuote) -> PayoffPublic:
        return cls(
            loan_id=q.loan_id,
            as_of=q.as_of,
            principal=MoneyPublic.of(q.principal),
            interest=MoneyPublic.of(q.interest),
            penalty=MoneyPublic.of(q.penalty),
            fees=MoneyPublic.of(q.fees),
            prepayment_fee=MoneyPublic.of(q.prepayment_fee),
            total=MoneyPublic.of(q.total),
        )


@router.get("/loans/{loan_id}/payoff", response_model=PayoffPublic)
def payoff(loan_id: str, container: ContainerDep, principal: Authenticated, as_of: date | None = None) -> Response:
    """What settles the loan on `as_of` (default: today's business date)."""
    facts = container.lending.loan_facts(loan_id)
    ensure_can_read_owned(principal, facts.borrower_id)
    return model_response(PayoffPublic.of(container.lending.payoff_quote(loan_id, as_of)))
