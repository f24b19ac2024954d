"""Products, quotes, loans, repayments and payoff quotes over HTTP.

Amounts go in as decimal strings in major units ("916.80", api/amounts.py: exact,
ASCII digits) and come out as {"amount", "minor", "currency"}. Calls that move money require an
Idempotency-Key (the middleware makes a replay return the first answer).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import LOAN_OFFICERS, Authenticated, ensure_can_read_owned, hot_read, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.idempotency import AnswerWithEffect
from fairlend.api.reads import Reads
from fairlend.api.responses import JSON, model_response
from fairlend.api.routers.lending_models import (
    LoanPublic,
    MoneyPublic,
    PayoffPublic,
    RepaymentPublic,
    loans_json,
    repayment_json,
)
from fairlend.identity.model import Principal, Role
from fairlend.lending.model import Product
from fairlend.lending.products import Quote
from fairlend.lending.views import PastRepayment, RepaymentResult
from fairlend.money import Money

router = APIRouter(tags=["lending"])

Operator = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.UNDERWRITER))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


def _money(amount: Decimal, currency: str) -> Money:
    """Exact: an amount finer than the currency's smallest unit is refused (amount_too_precise)."""
    return Money.of(amount, currency)


# -- products ---------------------------------------------------------------------------


class ProductPublic(BaseModel):
    code: str
    version: int
    name: str
    currency: str
    terms: dict[str, Any]

    @classmethod
    def of(cls, product: Product) -> ProductPublic:
        return cls(
            code=product.code,
            version=product.version,
            name=product.name,
            currency=product.currency,
            terms=product.to_dict(),
        )


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


class QuoteCreate(BaseModel):
    product_code: str
    amount: Amount = Field(gt=0, description="major units, e.g. 10000.00")
    rate: Decimal | None = Field(default=None, ge=0, le=10)
    term: int | None = Field(default=None, ge=1, le=600)
    open_date: date | None = None
    first_due_date: date | None = None
    version: int | None = None
    installment: Amount | None = Field(
        default=None, gt=0, description="a fixed installment in major units instead of the term: the term is derived"
    )
    approved: Amount | None = Field(
        default=None,
        gt=0,
        description="a multi-disbursement loan's approved amount (major units): `amount` is its first tranche",
    )


class ScheduleSettingsPublic(BaseModel):
    """The product's schedule settings the quote was computed with (docs/lending.md)."""

    method: str
    interest_method: str
    frequency: str
    day_count: str
    rounding: str
    installment_rounding: int
    emi_method: str
    rebalance_installment: bool
    grace_principal_periods: int
    grace_interest_periods: int
    interest_free_periods: int
    interest_recalculation: str
    max_tranches: int
    due_day: int
    first_period_min_days: int

    @classmethod
    def of(cls, product: Product) -> ScheduleSettingsPublic:
        return cls(**{name: product.to_dict()[name] for name in cls.model_fields})


class ScheduleLinePublic(BaseModel):
    seq: int
    due_date: date
    principal: MoneyPublic
    interest: MoneyPublic
    total: MoneyPublic
    balance_after: MoneyPublic


class QuotePublic(BaseModel):
    product_code: str
    product_version: int
    amount: MoneyPublic
    approved: MoneyPublic | None = Field(
        description="a multi-disbursement loan's approved amount; `amount` and the schedule are its first tranche's"
    )
    principal: MoneyPublic
    fee: MoneyPublic
    disbursed: MoneyPublic
    installment: MoneyPublic
    total_interest: MoneyPublic
    total_repayment: MoneyPublic
    apr: Decimal
    apr_method: str
    apr_cap: Decimal
    apr_cap_rule: str
    term: int
    maturity_date: date
    settings: ScheduleSettingsPublic
    schedule: list[ScheduleLinePublic]

    @classmethod
    def of(cls, quote: Quote) -> QuotePublic:
        s = quote.schedule
        m = s.money
        return cls(
            product_code=quote.product.code,
            product_version=quote.product.version,
            amount=MoneyPublic.of(m(s.amount)),
            approved=None if quote.approved is None else MoneyPublic.of(quote.approved),
            principal=MoneyPublic.of(m(s.principal)),
            fee=MoneyPublic.of(m(s.fee)),
            disbursed=MoneyPublic.of(m(s.disbursed)),
            installment=MoneyPublic.of(m(s.installment)),
            total_interest=MoneyPublic.of(m(s.total_interest)),
            total_repayment=MoneyPublic.of(m(s.total_repayment)),
            apr=s.apr,
            apr_method=quote.apr_method,
            apr_cap=quote.apr_cap,
            apr_cap_rule=quote.apr_cap_rule,
            term=len(s.lines),
            maturity_date=s.maturity,
            settings=ScheduleSettingsPublic.of(quote.product),
            schedule=[
                ScheduleLinePublic(
                    seq=line.seq,
                    due_date=line.due,
                    principal=MoneyPublic.of(m(line.principal)),
                    interest=MoneyPublic.of(m(line.interest)),
                    total=MoneyPublic.of(m(line.total)),
                    balance_after=MoneyPublic.of(m(line.balance_after)),
                )
                for line in s.lines
            ],
        )


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
        approved=None if body.approved is None else _money(body.approved, container.profile.currency),
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
        approved=None if body.approved is None else _money(body.approved, currency),
    )
    return LoanPublic.of(container.lending.loan_detail(loan_id))


# The reads a borrower makes most are `async def` and run their service call where this database's
# reads run (api/reads.py): on SQLite on the event loop, with no trip to the thread pool.


@router.get("/loans/{loan_id}", response_model=LoanPublic)
async def get_loan(loan_id: str, request: Request) -> Response:
    """The loan's answer as its last change stored it (lending/stored_answers.py): the borrower's own or an operator's.

    The token's revocation is read in the loan's own read transaction (`api.auth.BearerCheck`)."""
    # One plain call, not three `Depends` (api.auth.hot_read); the answer is stored bytes, never validated again.
    container, bearer, read = hot_read(request)
    answer = await read(container.lending.loan_answer, loan_id, bearer.confirm)
    ensure_can_read_owned(bearer.principal, answer.borrower_id)
    return Response(answer.body, media_type=JSON)


@router.get("/borrowers/{borrower_id}/loans", response_model=list[LoanPublic])
async def loans_of_borrower(
    borrower_id: str, container: ContainerDep, principal: Authenticated, read: Reads
) -> Response:
    ensure_can_read_owned(principal, borrower_id)
    details = await read(container.lending.loan_details_of_borrower, borrower_id)
    return Response(loans_json(details), media_type=JSON)


class RepaymentCreate(BaseModel):
    amount: Amount = Field(gt=0)
    reference: str = Field(default="", max_length=80)


@router.post("/loans/{loan_id}/repayments", response_model=RepaymentPublic, status_code=status.HTTP_201_CREATED)
def repay(
    loan_id: str,
    body: RepaymentCreate,
    container: ContainerDep,
    principal: Authenticated,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Apply a payment through the product's waterfall; on a charged-off loan, book it as a recovery.

    The owning borrower or a loan officer. The answer is rendered and stored as the key's answer
    inside the repayment's own transaction (`AnswerWithEffect`): no separate write for it, and no
    crash can leave the repayment made and its answer lost.
    """
    require_key(idempotency_key)

    def may_pay(borrower_id: str) -> None:
        # Moving money is narrower than reading: collectors and compliance see loans but post no payments.
        ensure_can_read_owned(principal, borrower_id, operator_roles=LOAN_OFFICERS)

    answer = AnswerWithEffect[RepaymentResult](
        lambda paid: Response(repayment_json(paid), status_code=status.HTTP_201_CREATED, media_type=JSON)
    )
    container.lending.repay_as(loan_id, body.amount, may_pay=may_pay, reference=body.reference, then=answer)
    return answer.response


@router.get("/loans/{loan_id}/payoff", response_model=PayoffPublic)
async def payoff(
    loan_id: str, container: ContainerDep, principal: Authenticated, read: Reads, as_of: date | None = None
) -> Response:
    """What settles the loan on `as_of` (default: today's business date)."""
    facts = await read(container.lending.loan_facts, loan_id)
    ensure_can_read_owned(principal, facts.borrower_id)
    return model_response(PayoffPublic.of(await read(container.lending.payoff_quote, loan_id, as_of)))
