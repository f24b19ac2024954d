"""The loan subledger's rows: prebuilt statements and the delinquency rule, shared by the use cases.

Statements are built once at import and take bound parameters, so the
repayment hot path compiles nothing. `delinquency_of` is the same rule that
end-of-day applies in SQL, for the one loan a repayment touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, Row, bindparam, delete, exists, insert, literal, select, update

from fairlend.batch.model import SLOTS
from fairlend.db.uow import UnitOfWork
from fairlend.ids import new_id
from fairlend.lending.events import LoanDelinquencyChanged
from fairlend.lending.schedule import Line, day, from_day
from fairlend.lending.tables import (
    eod_partition,
    loan,
    loan_delinquency_transition,
    loan_installment,
    loan_repayment,
    platform_business_date,
)
from fairlend.money import Money

LOAN_FOR_UPDATE = select(loan).where(loan.c.id == bindparam("loan_id")).with_for_update()
# The stored business date, and whether end-of-day has committed that date's partition holding a
# borrower's slot (the date itself still open), in one read on a repayment's path: partition n of P covers
# slots [n*SLOTS//P, (n+1)*SLOTS//P), so slot s is in ((s+1)*P-1)//SLOTS.
STORED_DATE_FOR_SLOT = select(
    platform_business_date.c.business_date,
    exists()
    .where(
        eod_partition.c.business_date == platform_business_date.c.business_date,
        eod_partition.c.state == "committed",
        eod_partition.c.number
        == ((bindparam("slot", type_=Integer()) + 1) * eod_partition.c.of_count - 1) // literal(SLOTS),
    )
    .label("slot_closed"),
).where(platform_business_date.c.id == 1)
OPEN_INSTALLMENTS = (
    select(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("borrower_id"),
        loan_installment.c.loan_id == bindparam("loan_id"),
        loan_installment.c.paid_on.is_(None),
    )
    .order_by(loan_installment.c.seq)
)
PAY_INSTALLMENT = (
    update(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("b_borrower_id"),
        loan_installment.c.loan_id == bindparam("b_loan_id"),
        loan_installment.c.seq == bindparam("b_seq"),
    )
    .values(
        principal_paid=bindparam("principal_paid"),
        interest_paid=bindparam("interest_paid"),
        fee_paid=bindparam("fee_paid"),
        paid_on=bindparam("paid_on"),
    )
)
# Billing an installment (end-of-day's billing step, an imported loan's catch-up), by primary key.
BILL_INSTALLMENT = (
    update(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("b_borrower_id"),
        loan_installment.c.loan_id == bindparam("b_loan_id"),
        loan_installment.c.seq == bindparam("b_seq"),
    )
    .values(billed=True)
)
# An installment billed with its interest as billed, a recalculated loan's extra interest of the period
# included: before its due date (paying_early.py) or by an imported loan's catch-up (importing.py).
BILL_WITH_INTEREST = (
    update(loan_installment)
    .where(
        loan_installment.c.borrower_id == bindparam("b_borrower_id"),
        loan_installment.c.loan_id == bindparam("b_loan_id"),
        loan_installment.c.seq == bindparam("b_seq"),
    )
    .values(billed=True, interest=bindparam("b_interest"))
)
DROP_UNBILLED = delete(loan_installment).where(
    loan_installment.c.borrower_id == bindparam("borrower_id"),
    loan_installment.c.loan_id == bindparam("loan_id"),
    loan_installment.c.billed.is_(False),
)
INSERT_INSTALLMENT = insert(loan_installment)
INSERT_REPAYMENT = insert(loan_repayment)
INSERT_TRANSITION = insert(loan_delinquency_transition)
UPDATE_LOAN = update(loan).where(loan.c.borrower_id == bindparam("b_borrower_id"), loan.c.id == bindparam("b_loan_id"))


@dataclass(frozen=True, slots=True)
class Delinquency:
    oldest_due_day: int | None
    overdue_principal: int
    overdue_amount: int
    dpd: int
    first_delinquency_day: int | None


RESCHEDULE_COLUMNS = (
    "cur_seq",
    "accrual_start_day",
    "next_due_day",
    "accrual_interest",
    "maturity_date",
    "installment_amount",
)
REPAY_COLUMNS = (
    "principal_outstanding",
    "principal_due",
    "interest_due",
    "accrued_interest",
    "penalty_due",
    "fees_due",
    "oldest_due_day",
    "overdue_principal",
    "overdue_amount",
    "dpd",
    "bucket",
    "first_delinquency_day",
    "state",
    "settled_on",
    "recalc_e10",  # a recalculated loan's extra interest of the period: restarts with the period (recalculation.py)
    *RESCHEDULE_COLUMNS,
)
# One prebuilt statement for every repayment: the same columns each time, so it compiles once.
REPAY_LOAN = UPDATE_LOAN.values(**{c: bindparam(c) for c in REPAY_COLUMNS})


def delinquency_of(
    installments: Sequence[dict[str, Any]], penalty_due: int, grace_days: int, as_of_day: int, first_day: int | None
) -> Delinquency:
    """The loan's delinquency at the end of `as_of_day`, from its billed, unpaid installments.

    The same rule end-of-day applies in SQL: an installment unpaid at the end
    of its due date plus the grace days makes the loan late, counted from the
    due date, so one unpaid at the end of its due date is 1 day past due.
    """
    unpaid = [i for i in installments if i["billed"] and i["paid_on"] is None]
    oldest = min((i["due_day"] for i in unpaid), default=None)
    late = [i for i in unpaid if i["late_day"] <= as_of_day]
    overdue_principal = sum(i["principal"] - i["principal_paid"] for i in late)
    owed = sum(
        i["principal"] - i["principal_paid"] + i["interest"] - i["interest_paid"] + i["fee"] - i["fee_paid"]
        for i in late
    )
    dpd = as_of_day - oldest + 1 if oldest is not None and oldest + grace_days <= as_of_day else 0
    first = (first_day or oldest + 1) if dpd and oldest is not None else None
    return Delinquency(oldest, overdue_principal, owed + penalty_due if dpd else 0, dpd, first)


def installment_row(borrower_id: str, loan_id: str, line: Line, grace_days: int, billed: bool) -> dict[str, Any]:
    return {
        "borrower_id": borrower_id,
        "loan_id": loan_id,
        "seq": line.seq,
        "start_day": day(line.start),
        "due_day": day(line.due),
        "due_date": line.due,
        "late_day": day(line.due) + grace_days,
        "principal": line.principal,
        "interest": line.interest,
        "fee": 0,
        "principal_paid": 0,
        "interest_paid": 0,
        "fee_paid": 0,
        "billed": billed,
        "late_fee_charged": False,
        "paid_on": None,
    }


def record_transition(
    uow: UnitOfWork, ln: Row[Any], bucket: str, found: Delinquency, principal_left: int, today: date
) -> LoanDelinquencyChanged:
    """The history row for a loan's change of bucket, and the event to publish with it."""
    row, event = transition_of(ln.borrower_id, ln.id, ln.currency, ln.bucket, bucket, found, principal_left, today)
    uow.conn.execute(INSERT_TRANSITION, row)
    return event


def transition_of(
    borrower_id: str,
    loan_id: str,
    currency: str,
    previous: str,
    bucket: str,
    found: Delinquency,
    principal_left: int,
    today: date,
) -> tuple[dict[str, Any], LoanDelinquencyChanged]:
    """A change of bucket as its history row and its event, written by the caller."""
    row = {
        "borrower_id": borrower_id,
        "id": new_id("dlq"),
        "loan_id": loan_id,
        "business_date": today,
        "from_bucket": previous,
        "to_bucket": bucket,
        "dpd": found.dpd,
    }
    return row, LoanDelinquencyChanged(
        loan_id=loan_id,
        borrower_id=borrower_id,
        days_past_due=found.dpd,
        bucket=bucket,
        previous_bucket=previous,
        overdue_amount=Money(found.overdue_amount, currency),
        outstanding_principal=Money(principal_left, currency),
        first_delinquency_date=from_day(found.first_delinquency_day),
        business_date=today,
    )
