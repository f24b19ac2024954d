"""Importing a loan with its history: catching a loan up to a date as end-of-day would have.

An imported loan is booked as of its open date; `catch_up` then bills the
installments that fell due, accrues the current period's interest and ages
the loan (days past due, bucket) up to a business date, for this one loan,
with the same rules as the end-of-day steps. Between catch-ups the loan's
past repayments are applied through the ordinary repayment use case, run
`as_of` their own business dates, so they go through the same waterfall and
their journal entries, rows and events carry those dates.

What the import does not reconstruct: penalty interest and late fees for
past days (the first end-of-day charges what is due from then on), and bucket
transitions between two known dates (one at most per catch-up, dated the day
before it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from fairlend.clock import PinnedDate
from fairlend.db.uow import UnitOfWork
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType, Posting, credit, debit, entry
from fairlend.ledger.service import Ledger
from fairlend.lending import recalculation
from fairlend.lending.model import LoanState
from fairlend.lending.publishing import publish_many
from fairlend.lending.schedule import day
from fairlend.lending.subledger import (
    BILL_WITH_INTEREST,
    LOAN_FOR_UPDATE,
    OPEN_INSTALLMENTS,
    UPDATE_LOAN,
    delinquency_of,
    record_transition,
)
from fairlend.money import Money


class Backdated(PinnedDate):
    """A unit of work's clock while it runs `as_of` a past date: the dates end-of-day closed since do not move it."""

    __slots__ = ()


@contextmanager
def as_of(uow: UnitOfWork, business_date: date) -> Iterator[None]:
    """Run lending's use cases in `uow` as of `business_date` (an imported loan's past), then return to today."""
    kept = uow.clock
    uow.clock = Backdated(kept, business_date)
    try:
        yield
    finally:
        uow.clock = kept


def catch_up(uow: UnitOfWork, ledger: Ledger, profile: Profile, loan_id: str, to: date) -> None:
    """Bring an active loan to the start of business date `to`, as the end-of-day runs before it would have.

    Installments due by `to` are billed, interest is accrued through the end
    of the day before, days past due and the bucket are as of that day. The
    interest earned meanwhile is one journal entry dated `to`
    (`loan_import_interest`); a change of bucket is a transition dated the day before.
    """
    conn = uow.conn
    ln = conn.execute(LOAN_FOR_UPDATE, {"loan_id": loan_id}).one()
    if ln.state != LoanState.ACTIVE.value:
        return
    to_day = day(to)
    # Unpaid installments: the billed ones age the loan, the unbilled ones (never paid) are billed in turn.
    insts = [
        dict(r._mapping) for r in conn.execute(OPEN_INSTALLMENTS, {"borrower_id": ln.borrower_id, "loan_id": loan_id})
    ]
    unbilled = {i["seq"]: i for i in insts if not i["billed"]}
    cur_seq, start, next_due, period_interest = ln.cur_seq, ln.accrual_start_day, ln.next_due_day, ln.accrual_interest
    interest_due, principal_due = ln.interest_due, ln.principal_due
    billed: list[dict[str, Any]] = []
    # A recalculated loan's extra interest, as `AccrualStep` adds it: what is overdue bears interest each day
    # (recalculation.py). Between two catch-ups only billing changes what is overdue, so it is summed by spans.
    extra_e10, since = ln.recalc_e10, max(ln.recalc_day, day(ln.open_date))

    def overdue_until(end: int) -> int:
        base = recalculation.day_amount_e10(principal_due, interest_due, ln.recalc_compound, ln.recalc_daily_e10)
        return base * int(max(0, end - since))

    # Billing, as `BillingStep`: the period's interest becomes due with its installment's principal.
    while next_due is not None and next_due <= to_day:
        extra_e10 += overdue_until(next_due)
        since = next_due
        current = unbilled[cur_seq]
        current["billed"] = True
        current["interest"] += recalculation.extra_interest(extra_e10)
        interest_due += period_interest + recalculation.extra_interest(extra_e10)
        extra_e10 = 0
        principal_due += current["principal"]
        billed.append(current)
        cur_seq, start = cur_seq + 1, next_due
        following = unbilled.get(cur_seq)
        next_due = following["due_day"] if following is not None else None
        period_interest = following["interest"] if following is not None else 0
    # Accrual, as `AccrualStep`: a function of the date, so catching up many days is one computation.
    accrued = 0
    if next_due is not None:
        span = next_due - start
        extra_e10 += overdue_until(to_day)
        accrued = period_interest * max(0, min(to_day - start, span)) // span + recalculation.extra_interest(extra_e10)
    if billed:
        conn.execute(
            BILL_WITH_INTEREST,
            [
                {"b_borrower_id": ln.borrower_id, "b_loan_id": loan_id, "b_seq": i["seq"], "b_interest": i["interest"]}
                for i in billed
            ],
        )
    yesterday = to - timedelta(days=1)
    found = delinquency_of(insts, ln.penalty_due, ln.grace_days, day(yesterday), ln.first_delinquency_day)
    bucket = profile.bucket_for(found.dpd).name
    conn.execute(
        UPDATE_LOAN.values(
            interest_due=interest_due,
            principal_due=principal_due,
            accrued_interest=accrued,
            cur_seq=cur_seq,
            accrual_start_day=start,
            next_due_day=next_due,
            accrual_interest=period_interest,
            oldest_due_day=found.oldest_due_day,
            overdue_principal=found.overdue_principal,
            overdue_amount=found.overdue_amount,
            dpd=found.dpd,
            bucket=bucket,
            first_delinquency_day=found.first_delinquency_day,
            penalty_day=to_day - 1,
            recalc_e10=extra_e10,
            recalc_day=max(to_day, ln.recalc_day),
        ),
        {"b_borrower_id": ln.borrower_id, "b_loan_id": loan_id},
    )
    if bucket != ln.bucket:
        publish_many(uow, [record_transition(uow, ln, bucket, found, ln.principal_outstanding, yesterday)])
    _post_interest(uow, ledger, ln.currency, loan_id, to, interest_due - ln.interest_due, accrued - ln.accrued_interest)


def _post_interest(
    uow: UnitOfWork, ledger: Ledger, currency: str, loan_id: str, on: date, billed: int, accrued: int
) -> None:
    """Interest earned while catching up: billed interest is receivable, the rest of the period accrued."""
    earned = billed + accrued
    if not (billed or accrued):
        return
    postings: list[Posting] = []
    if billed:
        postings.append(debit(AccountKey(AccountType.INTEREST_RECEIVABLE, currency), Money(billed, currency)))
    if accrued > 0:
        postings.append(debit(AccountKey(AccountType.ACCRUED_INTEREST, currency), Money(accrued, currency)))
    elif accrued < 0:  # interest accrued before was billed
        postings.append(credit(AccountKey(AccountType.ACCRUED_INTEREST, currency), Money(-accrued, currency)))
    if earned:
        postings.append(credit(AccountKey(AccountType.INTEREST_INCOME, currency), Money(earned, currency)))
    ledger.post(uow, entry(on, "loan_import_interest", *postings, reference=loan_id))
