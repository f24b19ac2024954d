"""A loan's public answer (the API's LoanPublic) as JSON bytes, written from lending's view without pydantic.

The one place that renders it: the read model (stored_answers.py) stores these bytes
for every write to the loan and for a rebuild, and the API serves them or, where
no answer of today is stored, these bytes rendered on the spot. The API's
`LoanPublic` model stays the contract (its OpenAPI document);
`tests/api/test_lending_models.py` holds these bytes equal to the model's own
JSON for any amounts, currencies, dates and states. A loan's answer is 33 fields
and a schedule of 8 more per installment, 73 amounts for a year's loan: built as
models and validated field by field it cost as much as reading the loan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from fairlend.lending.views import LoanDetail
from fairlend.money import Money, exponent


def major(minor: int, digits: int) -> str:
    """`str(Money(minor, c).to_decimal())` for a currency of `digits` decimal places, in integer arithmetic."""
    if digits == 0:
        return str(minor)
    if digits > 6:  # past six places Decimal's str may switch to an exponent: let it decide
        return str(Decimal(minor).scaleb(-digits))
    whole, part = divmod(abs(minor), 10**digits)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{digits}d}"


def money_fields(money: Money) -> dict[str, Any]:
    return {"amount": major(money.minor, exponent(money.currency)), "minor": money.minor, "currency": money.currency}


def loan_fields(d: LoanDetail) -> dict[str, Any]:
    """`LoanPublic.of(d)`'s fields as JSON values, in its order."""
    f = d.facts
    m = money_fields
    return {
        "id": f.loan_id,
        "borrower_id": f.borrower_id,
        "state": f.state.value,
        "product_code": d.product_code,
        "product_version": d.product_version,
        "currency": f.currency,
        "principal": m(d.principal),
        "rate": str(d.rate),
        "apr": str(d.apr),
        "term": d.term,
        "frequency": d.frequency.value,
        "method": d.method.value,
        "open_date": d.open_date,
        "maturity_date": d.maturity_date,
        "installment": m(d.installment),
        "outstanding_principal": m(f.outstanding_principal),
        "interest_due": m(d.interest_due),
        "accrued_interest": m(d.accrued_interest),
        "penalty_due": m(d.penalty_due),
        "fees_due": m(d.fees_due),
        "total_outstanding": m(f.total_outstanding),
        "overdue_amount": m(f.overdue_amount),
        "days_past_due": f.days_past_due,
        "bucket": f.bucket,
        "first_delinquency_date": d.first_delinquency_date,
        "settled_on": f.settled_on,
        "next_due_date": f.next_due_date,
        "next_due_amount": m(f.next_due_amount),
        "charged_off_amount": m(d.charged_off),
        "recovered_amount": m(d.recovered),
        "approved_amount": None if d.approved is None else m(d.approved),
        "tranches": d.tranches,
        "schedule": [
            {
                "seq": i.seq,
                "due_date": i.due_date,
                "status": i.status,
                "principal": m(i.principal),
                "interest": m(i.interest),
                "fee": m(i.fee),
                "paid": m(i.paid),
                "outstanding": m(i.outstanding),
            }
            for i in d.schedule
        ],
    }


def loan_json(detail: LoanDetail) -> bytes:
    """`LoanPublic.of(detail).model_dump_json()` of the API, byte for byte."""
    return orjson.dumps(loan_fields(detail))
