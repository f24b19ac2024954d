"""Payoff quotes and closing a loan off the books (charge-off, write-off)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Invalid
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.ledger.service import Ledger
from fairlend.lending.model import LoanState, Product
from fairlend.lending.recalculation import day_amount_e10, extra_interest
from fairlend.lending.schedule import day
from fairlend.lending.subledger import OPEN_INSTALLMENTS, UPDATE_LOAN
from fairlend.lending.views import PayoffQuote
from fairlend.lending.waterfall import prepayment_fee
from fairlend.money import Money


def payoff_of(uow: UnitOfWork, ln: Row[Any], as_of: date, product: Product) -> PayoffQuote:
    """What settles the loan on `as_of`: billed amounts, interest accrued to that date, penalty, fees."""
    today = uow.clock.business_date()
    if as_of < today:
        raise Invalid("payoff_in_past", f"a payoff quote is for {today} or later")
    if ln.state != LoanState.ACTIVE.value:
        raise Conflict("loan_not_active", f"loan {ln.id} is {ln.state}")
    insts = uow.conn.execute(OPEN_INSTALLMENTS, {"borrower_id": ln.borrower_id, "loan_id": ln.id}).all()
    unbilled = [i for i in insts if not i.billed]
    interest = ln.interest_due
    if as_of == today:
        interest += ln.accrued_interest
    else:
        # Interest earned by the end of the day before `as_of`, period by period, as EOD would accrue it.
        target = day(as_of)
        for inst in unbilled:
            start = ln.accrual_start_day if inst.seq == ln.cur_seq else inst.start_day
            span = inst.due_day - start
            interest += inst.interest * max(0, min(target - start, span)) // span
        interest += _recalculated_until(ln, unbilled, target, today)
    unbilled_principal = sum(i.principal for i in unbilled)
    fee = prepayment_fee(unbilled_principal, product.prepayment_fee_rate, product.rounding)
    fees = ln.fees_due + fee
    penalty = ln.penalty_due
    if as_of > today and ln.overdue_principal:
        penalty += ln.overdue_principal * ln.penalty_daily_e10 * (day(as_of) - today.toordinal()) // 10**10
    total = ln.principal_outstanding + interest + penalty + fees
    cur = ln.currency

    def money(minor: int) -> Money:
        return Money(minor, cur)

    return PayoffQuote(
        loan_id=ln.id,
        as_of=as_of,
        principal=money(ln.principal_outstanding),
        interest=money(interest),
        penalty=money(penalty),
        fees=money(ln.fees_due),
        prepayment_fee=money(fee),
        total=money(total),
    )


def _recalculated_until(ln: Row[Any], unbilled: list[Row[Any]], target: int, today: date) -> int:
    """A recalculated loan's extra interest earned by the end of the day before `target`, as end-of-day would
    add it if nothing more were paid: what is overdue now, and each installment falling due meanwhile, bear
    interest at the loan's rate until then, never past the last due date (recalculation.py)."""
    if not ln.recalc_daily_e10:
        return 0
    until = min(target, day(ln.maturity_date))
    since = max(today.toordinal(), ln.recalc_day)
    owed = [(ln.principal_due, ln.interest_due if ln.recalc_compound else 0, since)]
    owed += [(i.principal, i.interest if ln.recalc_compound else 0, i.due_day) for i in unbilled]
    accumulated = ln.recalc_e10
    for principal, interest, start in owed:
        days = until - start
        if days > 0:
            accumulated += day_amount_e10(principal, interest, True, ln.recalc_daily_e10) * days
    # The scheduled interest above leaves out the extra interest accumulated so far: it is included here.
    return extra_interest(accumulated)


def close_loan(uow: UnitOfWork, ledger: Ledger, ln: Row[Any], state: LoanState, kind: str) -> Money:
    """Move every receivable of the loan to credit loss and zero its subledger balances."""
    cur = ln.currency
    parts = [
        (AccountType.LOAN_PRINCIPAL, ln.principal_outstanding),
        (AccountType.INTEREST_RECEIVABLE, ln.interest_due),
        (AccountType.ACCRUED_INTEREST, ln.accrued_interest),
        (AccountType.PENALTY_RECEIVABLE, ln.penalty_due),
        (AccountType.FEE_RECEIVABLE, ln.fees_due),
    ]
    total = sum(minor for _, minor in parts)
    if total:
        postings = [debit(AccountKey(AccountType.CREDIT_LOSS, cur), Money(total, cur))]
        postings += [credit(AccountKey(t, cur), Money(m, cur)) for t, m in parts if m]
        ledger.post(uow, entry(uow.clock.business_date(), kind, *postings, reference=ln.id))
    uow.conn.execute(
        UPDATE_LOAN.values(
            state=state.value,
            principal_outstanding=0,
            principal_due=0,
            interest_due=0,
            accrued_interest=0,
            penalty_due=0,
            fees_due=0,
            overdue_principal=0,
            next_due_day=None,
            accrual_interest=0,
            closed_amount=total,
        ),
        {"b_borrower_id": ln.borrower_id, "b_loan_id": ln.id},
    )
    return Money(total, cur)
