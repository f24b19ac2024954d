"""A loan's public answer (the API's LoanPublic) as JSON bytes, written from lending's view without pydantic.

The one place that renders it: the read model (stored_answers.py) stores these bytes,
cut around what end-of-day and the business date move (`template`, `fill`), for
every write to the loan and for a rebuild, and the API serves them filled or,
where none is stored, these bytes rendered on the spot. The API's
`LoanPublic` model stays the contract (its OpenAPI document);
`tests/api/test_lending_models.py` holds these bytes equal to the model's own
JSON for any amounts, currencies, dates and states. A loan's answer is 33 fields
and a schedule of 8 more per installment, 73 amounts for a year's loan: built as
models and validated field by field it cost as much as reading the loan.
"""

from __future__ import annotations

from datetime import date
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


def _money(minor: int, currency: str, digits: int) -> dict[str, Any]:
    return {"amount": major(minor, digits), "minor": minor, "currency": currency}


def moving_fields(
    currency: str,
    principal: int,
    interest: int,
    accrued: int,
    penalty: int,
    fees: int,
    total: int,
    overdue: int,
    dpd: int,
    bucket: str,
    first_delinquency: date | None,
) -> dict[str, Any]:
    """The answer's fields that end-of-day moves on the loan's row (accrual, billing, penalties, late fees,
    delinquency) without the use cases that store the answer: `outstanding_principal` through
    `first_delinquency_date`, in the answer's order, from the row's minor units."""
    digits = exponent(currency)
    return {
        "outstanding_principal": _money(principal, currency, digits),
        "interest_due": _money(interest, currency, digits),
        "accrued_interest": _money(accrued, currency, digits),
        "penalty_due": _money(penalty, currency, digits),
        "fees_due": _money(fees, currency, digits),
        "total_outstanding": _money(total, currency, digits),
        "overdue_amount": _money(overdue, currency, digits),
        "days_past_due": dpd,
        "bucket": bucket,
        "first_delinquency_date": first_delinquency,
    }


def loan_fields(d: LoanDetail) -> dict[str, Any]:
    """`LoanPublic.of(d)`'s fields as JSON values, in its order."""
    f = d.facts
    digits = exponent(f.currency)

    def m(money: Money) -> dict[str, Any]:  # `money_fields`, the currency's exponent looked up once a loan
        cur = money.currency
        return _money(money.minor, cur, digits if cur == f.currency else exponent(cur))

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
        **moving_fields(
            f.currency,
            f.outstanding_principal.minor,
            d.interest_due.minor,
            d.accrued_interest.minor,
            d.penalty_due.minor,
            d.fees_due.minor,
            f.total_outstanding.minor,
            f.overdue_amount.minor,
            f.days_past_due,
            f.bucket,
            d.first_delinquency_date,
        ),
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


# The stored answer (stored_answers.py) is these bytes cut around what moves without a use case that
# stores it: end-of-day's writes to the loan's row (`moving_fields`) and each payment's status, which the
# business date moves (an installment due yesterday is overdue today). orjson escapes control
# characters, so a NUL byte never occurs in its output and can separate the pieces.
HOLE = b"\x00"
_HOLE = HOLE
# The most pressing status of a due date's unpaid installments names the payment (queries._installment_view).
_URGENCY = ("overdue", "due", "scheduled", "billed")
_STATUS = {s: orjson.dumps(s) for s in (*_URGENCY, "paid")}

# An unpaid installment of one payment (a due date): billed, its due day, its late day (ordinals).
Part = tuple[bool, int, int]


def status_of(parts: list[Part], today: int) -> str:
    """`queries._installment_view`'s status of a payment from its unpaid installments, on day `today`."""
    best = len(_URGENCY)
    for billed, due_day, late_day in parts:
        if billed and late_day < today:
            return "overdue"
        status = ("due" if due_day <= today else "billed") if billed else "scheduled"
        best = min(best, _URGENCY.index(status))
    return "paid" if best == len(_URGENCY) else _URGENCY[best]


def template(detail: LoanDetail, parts: list[list[Part]], fingerprint: tuple[int | None, int]) -> bytes:
    """`loan_json(detail)` with holes for the moving fields and each payment's status, for `fill`.

    `parts` are each payment's unpaid installments, in the schedule's order; `fingerprint` the loan
    row's (next_due_day, fees_due), which end-of-day changes when it changes an installment (billing
    adds the period's interest, a late fee the fee): then the pieces are out of date and `fill` says so.
    """
    fields = loan_fields(detail)
    keys = list(fields)
    first, after = keys.index("outstanding_principal"), keys.index("settled_on")
    head = orjson.dumps({k: fields[k] for k in keys[:first]})[:-1] + b","
    piece = b"," + orjson.dumps({k: fields[k] for k in keys[after:-1]})[1:-1] + b',"schedule":['
    pieces = [orjson.dumps([*fingerprint, parts]), head]
    for n, entry in enumerate(fields["schedule"]):
        seq = orjson.dumps({"seq": entry["seq"], "due_date": entry["due_date"]})[:-1]
        pieces.append(piece + (b"," if n else b"") + seq + b',"status":')
        rest = {k: v for k, v in entry.items() if k not in ("seq", "due_date", "status")}
        piece = b"," + orjson.dumps(rest)[1:]
    pieces.append(piece + b"]}")
    return _HOLE.join(pieces)


def fill(stored: bytes, moving: dict[str, Any], fingerprint: tuple[int | None, int], today: int) -> bytes | None:
    """The answer of `template`'s bytes on day `today` with the row's `moving_fields`; None where
    end-of-day has changed an installment since (the row's fingerprint differs from the stored one)."""
    meta, *pieces = stored.split(_HOLE)
    next_due_day, fees_due, parts = orjson.loads(meta)
    if (next_due_day, fees_due) != fingerprint:
        return None
    out = [pieces[0], orjson.dumps(moving)[1:-1], pieces[1]]
    for payment, piece in zip(parts, pieces[2:], strict=True):
        out.append(_STATUS[status_of(payment, today)])
        out.append(piece)
    return b"".join(out)
