"""Reading what lending wrote, for assertions only."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db import outbox
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.lending.position_model import LoanPosition, PlannedInstallment, ScheduleChange
from fairlend.money import Money


def events(container: Container, event_type: str) -> list[dict[str, Any]]:
    with container.uow(read_only=True) as uow:
        return [e.payload for e in outbox.read_after(uow.conn, outbox.START, types=[event_type])]


def balance(container: Container, account: AccountType, owner: str = "") -> int:
    return container.ledger.balance(AccountKey(account, "CNY", owner)).minor


def cny(major: str) -> Money:
    return Money.of(major, "CNY")


def eod_through(container: Container, clock: FixedClock, through: date) -> None:
    container.eod.run(through=through)
    assert clock.business_date() > through


def two_month_plan(p: LoanPosition, *, hold: bool = True) -> ScheduleChange:
    """Everything owed in two monthly installments at no interest; the arrears with the first."""
    first, second = p.as_of + timedelta(days=30), p.as_of + timedelta(days=60)
    half = p.principal // 2
    lines = (
        PlannedInstallment(
            p.as_of,
            first,
            half,
            0,
            arrears_interest=p.interest_billed + p.accrued_interest,
            arrears_fee=p.fees + p.penalty,
        ),
        PlannedInstallment(first, second, p.principal - half, 0),
    )
    return ScheduleChange(p.loan_id, "test", f"plan_{p.loan_id}", p.balances, Decimal(0), lines, hold_delinquency=hold)
