"""Loans as a plan sees them, built from lending's own schedules, for the pure tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from fairlend.hardship.model import Outcome
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending.model import DayCount, Frequency, LoanState, Method, Product
from fairlend.lending.position_model import LoanPosition, RemainingInstallment
from fairlend.lending.schedule import build_schedule
from fairlend.money import Rounding

CN = load_profile("cn")
US = load_profile("us")
OPEN = date(2026, 1, 5)

CASH12 = Product(
    code="cash-12",
    name="Twelve-month cash loan",
    currency="CNY",
    method=Method.EQUAL_INSTALLMENT,
    frequency=Frequency.MONTHLY,
    rate=Decimal("0.18"),
    term=12,
    day_count=DayCount.THIRTY_360,
    penalty_rate=Decimal("0.18"),
    late_fee=5000,
)


def position(
    product: Product = CASH12,
    amount: int = 1_000_000,
    *,
    paid: int = 2,
    late: int = 1,
    days_into_period: int = 10,
    penalty: int = 0,
    fees: int = 0,
    state: LoanState = LoanState.ACTIVE,
    max_term: int = 0,
) -> LoanPosition:
    """A loan `paid` installments in, `late` more billed and unpaid, `days_into_period` days after the last
    one billed fell due; interest accrued pro rata on the next, as end-of-day would have it."""
    schedule = build_schedule(product, amount, OPEN)
    lines = schedule.lines
    paid = min(paid, len(lines))
    late = min(late, len(lines) - paid)
    billed = lines[paid : paid + late]
    rest = lines[paid + late :]
    last = lines[paid + late - 1].due if paid + late else OPEN
    as_of = last + timedelta(days=days_into_period)
    if rest and as_of >= rest[0].due:
        as_of = rest[0].due - timedelta(days=1)
    accrued = 0
    if rest:
        start, due = rest[0].start, rest[0].due
        accrued = rest[0].interest * (as_of - start).days // (due - start).days
    return LoanPosition(
        loan_id="loan_t",
        borrower_id="brw_t",
        currency=product.currency,
        state=state,
        product_code=product.code,
        product_version=1,
        method=product.method,
        frequency=product.frequency,
        day_count=product.day_count,
        rounding=product.rounding,
        installment_rounding=product.installment_rounding,
        rate=product.rate,
        open_date=OPEN,
        max_term=max_term,
        grace_days=product.grace_days,
        as_of=as_of,
        schedule_version=1,
        installment=schedule.installment,
        principal=sum(line.principal for line in billed + rest),
        principal_billed=sum(line.principal for line in billed),
        interest_billed=sum(line.interest for line in billed),
        accrued_interest=accrued,
        penalty=penalty,
        fees=fees,
        paid=sum(line.total for line in lines[:paid]),
        days_past_due=(as_of - billed[0].due).days + 1 if billed else 0,
        last_due=lines[-1].due,
        remaining=tuple(RemainingInstallment(r.seq, r.start, r.due, r.principal, r.interest) for r in rest),
    )


def with_rounding(product: Product, rounding: Rounding, step: int = 1) -> Product:
    return replace(product, rounding=rounding, installment_rounding=step)


def debt_carried(outcome: Outcome) -> int:
    return sum(line.debt for line in outcome.installments)


def conservation_errors(p: LoanPosition, outcome: Outcome) -> list[str]:
    """Every way the new schedule could make or lose a fen, or go below zero; empty when it holds."""
    errors = []
    lines = outcome.installments
    c = outcome.concessions
    principal = sum(line.principal + line.arrears_principal for line in lines)
    if principal != p.principal - c.principal:
        errors.append(f"principal {principal} != {p.principal} - {c.principal}")
    obligations = p.paid + p.owed
    if p.paid + debt_carried(outcome) != obligations - c.owed:
        errors.append(f"paid {p.paid} + carried {debt_carried(outcome)} != {obligations} - {c.owed}")
    parts = [
        v
        for line in lines
        for v in (line.principal, line.interest, line.arrears_principal, line.arrears_interest, line.arrears_fee)
    ]
    if any(v < 0 for v in parts) or min(c.interest, c.fees, c.penalty, c.principal, c.interest_forgone) < 0:
        errors.append("a negative amount")
    balance = p.principal - c.principal
    for line in lines:
        balance -= line.principal + line.arrears_principal
        if balance < 0:
            errors.append(f"the balance goes below zero at {line.due}")
            break
    return errors
