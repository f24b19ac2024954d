"""Recoveries: money received on a loan after it was charged off or written off.

Charge-off moved every receivable of the loan to credit loss (`closing.py`),
so nothing is left on the books to pay down: a recovery is cash debited and
recovery income credited (GLOSSARY: the debt may still be recovered; NAR adds
recoveries back). The loan keeps its state. What it still owes is the amount
charged off less what was recovered; money beyond that is the borrower's
credit, as an over-payment on an active loan is. The recovery that pays the
last of it marks the loan settled on that date (`settled_on`) and publishes
`LoanSettled(after_charge_off=True)`, so collections stop in the same
transaction (P-2) while the loan still reads as charged off.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Invalid
from fairlend.events import DomainEvent
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.batch import JournalPoster
from fairlend.ledger.model import AccountKey, AccountType, Posting, credit, debit, entry
from fairlend.lending.events import LoanSettled, RepaymentPosted
from fairlend.lending.model import LoanState, RepaymentKind
from fairlend.lending.publishing import publish_many
from fairlend.lending.subledger import INSERT_REPAYMENT, UPDATE_LOAN, Delinquency, record_transition
from fairlend.lending.tables import loan_repayment
from fairlend.lending.views import RepaymentResult
from fairlend.money import Money

RECOVERED = select(func.coalesce(func.sum(loan_repayment.c.amount - loan_repayment.c.refunded), 0)).where(
    loan_repayment.c.borrower_id == bindparam("borrower_id"),
    loan_repayment.c.loan_id == bindparam("loan_id"),
    loan_repayment.c.kind == RepaymentKind.RECOVERY.value,
)


def recovered_of(uow: UnitOfWork, ln: Row[Any]) -> int:
    """Minor units recovered on the loan so far (refunds to the borrower excluded)."""
    return int(uow.conn.execute(RECOVERED, {"borrower_id": ln.borrower_id, "loan_id": ln.id}).scalar() or 0)


def recover(
    uow: UnitOfWork,
    ledger: JournalPoster,
    profile: Profile,
    ln: Row[Any],
    amount: Money,
    reference: str,
    received_into: AccountKey | None,
) -> RepaymentResult:
    """Book money received on a charged-off or written-off loan (`ln`, locked by the caller)."""
    if amount.currency != ln.currency:
        raise Invalid("currency_mismatch", f"loan {ln.id} is in {ln.currency}")
    owed = ln.closed_amount - recovered_of(uow, ln)
    if owed <= 0:
        raise Conflict("nothing_owed", f"loan {ln.id} is {ln.state} and recovered in full; it owes nothing")
    today = uow.clock.business_date()
    applied = min(amount.minor, owed)
    refunded = amount.minor - applied
    left = owed - applied
    cur = ln.currency
    repayment_id = new_id("rpy")
    uow.conn.execute(
        INSERT_REPAYMENT,
        {
            "borrower_id": ln.borrower_id,
            "id": repayment_id,
            "loan_id": ln.id,
            "business_date": today,
            "amount": amount.minor,
            # The receivables are gone since the charge-off: nothing is split into principal or interest.
            "principal": 0,
            "interest": 0,
            "penalty": 0,
            "fees": 0,
            "prepayment_fee": 0,
            "refunded": refunded,
            "reference": reference[:80],
            "created_at": uow.clock.now(),
            "kind": RepaymentKind.RECOVERY.value,
        },
    )
    # Paid in full, the overdue has ended: days past due 0 (the bureau starts CN-12's clock on it).
    dpd = ln.dpd if left else 0
    zero = Money(0, cur)
    events: list[DomainEvent] = [
        RepaymentPosted(
            loan_id=ln.id,
            borrower_id=ln.borrower_id,
            repayment_id=repayment_id,
            amount=amount,
            principal_paid=zero,
            interest_paid=zero,
            penalty_paid=zero,
            fees_paid=zero,
            outstanding_principal=Money(left, cur),
            days_past_due=dpd,
            business_date=today,
            kind=RepaymentKind.RECOVERY,
            received_days_past_due=max(0, today.toordinal() - ln.oldest_due_day) if ln.oldest_due_day else ln.dpd,
            refunded=Money(refunded, cur),
        )
    ]
    if not left:
        events += _settle(uow, profile, ln, today)
    publish_many(uow, events)
    postings: list[Posting] = [
        debit(received_into or AccountKey(AccountType.PLATFORM_CASH, cur), amount),
        credit(AccountKey(AccountType.RECOVERY_INCOME, cur), Money(applied, cur)),
    ]
    if refunded:
        postings.append(credit(AccountKey(AccountType.BORROWER_CREDIT, cur, ln.borrower_id), Money(refunded, cur)))
    ledger.post(uow, entry(today, "loan_recovery", *postings, reference=repayment_id))
    return RepaymentResult(
        repayment_id=repayment_id,
        loan_id=ln.id,
        amount=amount,
        principal_paid=zero,
        interest_paid=zero,
        penalty_paid=zero,
        fees_paid=zero,
        prepayment_fee=zero,
        refunded=Money(refunded, cur),
        outstanding_principal=Money(left, cur),
        days_past_due=dpd,
        state=LoanState(ln.state),
        kind=RepaymentKind.RECOVERY,
    )


def _settle(uow: UnitOfWork, profile: Profile, ln: Row[Any], today: date) -> list[DomainEvent]:
    """The last of the debt is in: settled on `today`, nothing overdue, the bucket back to current."""
    current = profile.bucket_for(0).name
    uow.conn.execute(
        UPDATE_LOAN.values(settled_on=today, dpd=0, overdue_amount=0, overdue_principal=0, bucket=current),
        {"b_borrower_id": ln.borrower_id, "b_loan_id": ln.id},
    )
    events: list[DomainEvent] = []
    if ln.bucket != current:
        events.append(record_transition(uow, ln, current, Delinquency(None, 0, 0, 0, None), 0, today))
    events.append(
        LoanSettled(
            loan_id=ln.id,
            borrower_id=ln.borrower_id,
            settled_on=today,
            was_overdue=ln.dpd > 0,
            business_date=today,
            after_charge_off=True,
        )
    )
    return events
