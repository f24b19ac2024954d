"""The row a booked loan starts as, and its installments: nothing billed, accrued or late yet.

`LendingService.book_loan_in` writes them in its own transaction (a loan
imported with its history is then caught up to today by end-of-day's rules).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import insert

from fairlend.db.uow import UnitOfWork
from fairlend.jurisdiction.model import Profile
from fairlend.lending import recalculation
from fairlend.lending.model import LoanState
from fairlend.lending.products import Quote
from fairlend.lending.schedule import daily_rate_e10, day
from fairlend.lending.stored_answers import touch
from fairlend.lending.subledger import INSERT_INSTALLMENT, installment_row
from fairlend.lending.tables import loan
from fairlend.money import Money


def insert_loan(
    uow: UnitOfWork,
    profile: Profile,
    loan_id: str,
    borrower_id: str,
    quote: Quote,
    rate: Decimal,
    opened: date,
    grade: str,
    approved: Money | None = None,
) -> None:
    """The loan and its installments as on its open date: nothing billed, accrued or late yet."""
    product, schedule = quote.product, quote.schedule
    rows = [installment_row(borrower_id, loan_id, line, product.grace_days, False) for line in schedule.lines]
    current = rows[0]
    uow.conn.execute(
        insert(loan).values(
            borrower_id=borrower_id,
            id=loan_id,
            product_code=product.code,
            product_version=product.version,
            currency=product.currency,
            state=LoanState.ACTIVE.value,
            method=product.method.value,
            frequency=product.frequency.value,
            rate=rate,
            grade=grade,
            apr=schedule.apr,
            term=len(schedule.lines),
            open_date=schedule.lines[0].start,
            first_due_date=schedule.lines[0].due,
            maturity_date=schedule.maturity,
            principal=schedule.principal,
            installment_amount=schedule.installment,
            fee_amount=schedule.fee,
            grace_days=product.grace_days,
            penalty_daily_e10=daily_rate_e10(product.penalty_rate, product.day_count),
            late_fee=product.late_fee,
            principal_outstanding=schedule.principal,
            principal_due=0,
            interest_due=0,
            accrued_interest=0,
            penalty_due=0,
            fees_due=0,
            cur_seq=current["seq"],
            accrual_start_day=current["start_day"],
            next_due_day=current["due_day"],
            accrual_interest=current["interest"],
            oldest_due_day=None,
            overdue_principal=0,
            overdue_amount=0,
            dpd=0,
            bucket=profile.bucket_for(0).name,
            first_delinquency_day=None,
            penalty_day=day(opened) - 1,
            recalc_day=day(opened) - 1,
            **recalculation.loan_columns(product, rate),
            settled_on=None,
            closed_amount=0,
            approved_amount=approved.minor if approved is not None else 0,
            tranches=1,
            created_at=uow.clock.now(),
        )
    )
    uow.conn.execute(INSERT_INSTALLMENT, rows)
    touch(uow, borrower_id, loan_id)
