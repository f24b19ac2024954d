"""Lending's end-of-day steps that tell the rest of the platform: bucket moves, reminders, month-end.

Run after the steps that move money (eod_steps.py), in this order. Each
publishes its events in the day's transaction (T+1 reporting, collections).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, insert, literal, select, update

from fairlend.batch.model import Partition
from fairlend.db.uow import UnitOfWork
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.lending.eod_journal import DayJournal
from fairlend.lending.eod_steps import ACTIVE, D1, LendingStep, both, day_params
from fairlend.lending.events import LoanDelinquencyChanged, LoanMonthEnd
from fairlend.lending.publishing import publish_many
from fairlend.lending.schedule import from_day
from fairlend.lending.tables import loan, loan_delinquency_transition
from fairlend.money import Money

REMINDER_DAYS = 3


class BucketStep(LendingStep):
    """The delinquency bucket from the profile's ranges; a history row only when it changes."""

    name = "buckets"

    def __init__(self, ledger: DayJournal, profile: Profile) -> None:
        super().__init__(ledger, profile)
        whens = [
            (loan.c.dpd <= b.max_dpd, literal(b.name)) for b in profile.delinquency_buckets if b.max_dpd is not None
        ]
        self._bucket: ColumnElement[Any] = case(*whens, else_=literal(profile.delinquency_buckets[-1].name))
        # Only a loan with a billed, unpaid installment can change bucket here; repayments move the rest.
        pred = and_(ACTIVE, loan.c.oldest_due_day > 0, loan.c.bucket != self._bucket)
        self._changed = both(
            select(
                loan.c.borrower_id,
                loan.c.id,
                loan.c.currency,
                loan.c.dpd,
                loan.c.bucket,
                self._bucket.label("new_bucket"),
                loan.c.overdue_amount,
                loan.c.principal_outstanding,
                loan.c.first_delinquency_day,
            ).where(pred)
        )
        self._update = both(update(loan).where(pred).values(bucket=self._bucket))

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        scope, params = part is not None, day_params(part)
        changed = uow.conn.execute(self._changed[scope], params).all()
        if not changed:
            return 0
        uow.conn.execute(
            insert(loan_delinquency_transition),
            [
                {
                    "borrower_id": r.borrower_id,
                    "id": new_id("dlq"),
                    "loan_id": r.id,
                    "business_date": business_date,
                    "from_bucket": r.bucket,
                    "to_bucket": r.new_bucket,
                    "dpd": r.dpd,
                }
                for r in changed
            ],
        )
        uow.conn.execute(self._update[scope], params)
        publish_many(
            uow,
            [
                LoanDelinquencyChanged(
                    loan_id=r.id,
                    borrower_id=r.borrower_id,
                    days_past_due=r.dpd,
                    bucket=r.new_bucket,
                    previous_bucket=r.bucket,
                    overdue_amount=Money(r.overdue_amount, r.currency),
                    outstanding_principal=Money(r.principal_outstanding, r.currency),
                    first_delinquency_date=from_day(r.first_delinquency_day),
                    business_date=business_date,
                )
                for r in changed
            ],
        )
        return len(changed)


class ReminderStep(LendingStep):
    """Counts the installments due in three days; `LendingQueries.due_soon` lists them for reminders."""

    name = "reminders"
    _count = both(select(func.count()).select_from(loan).where(ACTIVE, loan.c.next_due_day == D1 + REMINDER_DAYS))

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        params = day_params(part, d1=business_date.toordinal() + 1)
        return int(uow.conn.execute(self._count[part is not None], params).scalar() or 0)


class MonthEndStep(LendingStep):
    """On a month's last day, one `LoanMonthEnd` per active loan (the bureau's monthly status)."""

    name = "month_end"
    _rows = both(
        select(
            loan.c.id,
            loan.c.borrower_id,
            loan.c.currency,
            (
                loan.c.principal_outstanding
                + loan.c.interest_due
                + loan.c.accrued_interest
                + loan.c.penalty_due
                + loan.c.fees_due
            ).label("outstanding"),
            loan.c.overdue_amount,
            loan.c.dpd,
            loan.c.bucket,
        ).where(ACTIVE)
    )

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        if (business_date + timedelta(days=1)).day != 1:
            return 0
        count = 0
        for chunk in uow.conn.execute(self._rows[part is not None], day_params(part)).partitions(10_000):
            publish_many(
                uow,
                [
                    LoanMonthEnd(
                        loan_id=r.id,
                        borrower_id=r.borrower_id,
                        outstanding=Money(int(r.outstanding), r.currency),
                        overdue_amount=Money(r.overdue_amount, r.currency),
                        days_past_due=r.dpd,
                        bucket=r.bucket,
                        business_date=business_date,
                    )
                    for r in chunk
                ],
            )
            count += len(chunk)
        return count
