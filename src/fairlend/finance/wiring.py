"""Finance's hooks, through the container: the end-of-day step and the allowance's in-transaction uses.

The step runs after lending's own (and the other contexts' steps registered
before it): the day's days past due are final when the book is classified.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from fairlend.db.uow import EventBus, UnitOfWork
from fairlend.events import DomainEvent
from fairlend.finance.service import FinanceService
from fairlend.lending.eod import EndOfDay
from fairlend.lending.events import LoanChargedOff, LoanWrittenOff, RepaymentPosted


class Host(Protocol):
    finance: FinanceService
    bus: EventBus
    eod: EndOfDay


class FinanceStep:
    name = "finance"

    def __init__(self, finance: FinanceService) -> None:
        self._finance = finance

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        return self._finance.end_of_day(uow, business_date)


def finance_step(finance: FinanceService) -> FinanceStep:
    return FinanceStep(finance)


def wire_finance_events(host: Host) -> None:
    def on_closed(uow: UnitOfWork, event: DomainEvent) -> None:
        host.finance.uses.on_closed(uow, event)

    def on_repayments(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        host.finance.uses.on_repayments(uow, events)

    host.bus.subscribe(LoanChargedOff.event_type, on_closed)
    host.bus.subscribe(LoanWrittenOff.event_type, on_closed)
    host.bus.subscribe_many(RepaymentPosted.event_type, on_repayments)


def wire_finance(host: Host) -> None:
    """Subscribe to lending's events and register the end-of-day step."""
    wire_finance_events(host)
    host.eod.register(finance_step(host.finance))
