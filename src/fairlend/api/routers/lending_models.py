"""The lending API's answers (api/routers/lending.py), and the busiest of them written without pydantic.

The models are the contract: `response_model` on each route, so the OpenAPI
document describes them, and `XPublic.of(...)` where a route builds one. A
loan's answer is 31 fields and a schedule of 8 more per installment, 73
amounts for a year's loan: built as models and validated field by field, it
cost as much as reading the loan (docs/performance.md). `loan_json` (lending's
`answer_json`, which its read model stores) and `repayment_json` write the same
bytes straight from lending's views with orjson:
`tests/api/test_lending_models.py` holds them equal to the models' own JSON for any amounts, currencies, dates and states.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson
from pydantic import BaseModel

# The loan's answer is lending's own (its read model stores it); re-exported for the API's callers and tests.
from fairlend.lending.answer_json import loan_fields, money_fields
from fairlend.lending.answer_json import loan_json as loan_json
from fairlend.lending.answer_json import major as major
from fairlend.lending.views import LoanDetail, PayoffQuote, RepaymentResult
from fairlend.money import Money


class MoneyPublic(BaseModel):
    amount: str  # major units, exact: "916.80"
    minor: int
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyPublic:
        return cls(amount=str(money.to_decimal()), minor=money.minor, currency=money.currency)


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
    approved_amount: MoneyPublic | None  # a multi-disbursement loan's (null: disbursed once); principal is paid out
    tranches: int  # how many tranches were paid out (1 for a loan disbursed once)
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
            approved_amount=None if d.approved is None else MoneyPublic.of(d.approved),
            tranches=d.tranches,
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


# -- the same JSON without the models ------------------------------------------------------------


def loans_json(details: list[LoanDetail]) -> bytes:
    return orjson.dumps([loan_fields(d) for d in details])


def repayment_json(r: RepaymentResult) -> bytes:
    """`RepaymentPublic.of(r).model_dump_json()`, byte for byte."""
    m = money_fields
    return orjson.dumps(
        {
            "id": r.repayment_id,
            "loan_id": r.loan_id,
            "kind": r.kind.value,
            "state": r.state.value,
            "amount": m(r.amount),
            "principal_paid": m(r.principal_paid),
            "interest_paid": m(r.interest_paid),
            "penalty_paid": m(r.penalty_paid),
            "fees_paid": m(r.fees_paid),
            "prepayment_fee": m(r.prepayment_fee),
            "refunded": m(r.refunded),
            "outstanding_principal": m(r.outstanding_principal),
            "days_past_due": r.days_past_due,
        }
    )
