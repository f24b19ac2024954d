"""The market's hooks into the rest of the platform, through the container so that a rebuilt market follows.

In the lending transaction: each `RepaymentPosted` becomes a receipt for the
notes; a charge-off (or a write-off of an active loan) writes the notes down,
and so does principal written off by a modification (`LoanModified`), pro rata.
End-of-day: the listing deadline, then the day's distribution; after the
day has committed, an auto-invest sweep over the listings still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from fairlend.db.uow import EventBus, UnitOfWork
from fairlend.events import DomainEvent
from fairlend.lending.eod import EndOfDay
from fairlend.lending.events import LoanChargedOff, LoanModified, LoanWrittenOff, RepaymentPosted
from fairlend.market.orders import hold_trades
from fairlend.market.service import MarketService


class Host(Protocol):
    market: MarketService
    bus: EventBus
    eod: EndOfDay


class _DeadlineProxy:
    name = "market_deadline"

    def __init__(self, host: Host) -> None:
        self._host = host

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        # The first of the market's steps: trades wait for the day to close from here, before the
        # deadline takes any wallet a trade in flight might be waiting for (orders.hold_trades).
        hold_trades(uow)
        report = self._host.market.funding.run_deadline(uow, business_date)
        return len(report.originated) + len(report.partial) + len(report.cancelled)


class _DistributionProxy:
    name = "market_distribution"

    def __init__(self, host: Host) -> None:
        self._host = host

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        return self._host.market.distribution.run(uow, business_date).receipts


def wire_market_steps(host: Host) -> None:
    def on_repayments(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        posted = [event for event in events if isinstance(event, RepaymentPosted)]
        assert len(posted) == len(events)
        host.market.distribution.record(uow, posted)

    def on_closed(uow: UnitOfWork, event: DomainEvent) -> None:
        assert isinstance(event, LoanChargedOff | LoanWrittenOff)
        host.market.distribution.write_down(uow, event)

    def on_modified(uow: UnitOfWork, event: DomainEvent) -> None:
        assert isinstance(event, LoanModified)
        host.market.distribution.write_down_concession(uow, event)

    host.bus.subscribe_many(RepaymentPosted.event_type, on_repayments)
    host.bus.subscribe(LoanModified.event_type, on_modified)
    host.bus.subscribe(LoanChargedOff.event_type, on_closed)
    host.bus.subscribe(LoanWrittenOff.event_type, on_closed)
    host.eod.register(_DeadlineProxy(host))
    host.eod.register(_DistributionProxy(host))
    # After the day commits: the day's new cash (deposits, distributions) meets the listings still open.
    host.eod.register_after_day("market_autoinvest", lambda day: host.market.autoinvest.after_day(day))
