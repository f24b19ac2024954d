"""The market's events on the secondary market, written to the outbox in the transaction that made them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from fairlend.market.secondary import SaleStatus
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class SaleOrderPlaced:
    event_type: ClassVar[str] = "market.SaleOrderPlaced"
    order_id: str
    seller_id: str
    note_id: str
    loan_id: str
    amount: Money | None  # None: the whole note
    premium_bps: int
    status: SaleStatus  # the note's standing when it was listed
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.order_id


@dataclass(frozen=True, slots=True)
class SaleOrderCancelled:
    event_type: ClassVar[str] = "market.SaleOrderCancelled"
    order_id: str
    seller_id: str
    note_id: str
    loan_id: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.order_id


@dataclass(frozen=True, slots=True)
class NoteSold:
    event_type: ClassVar[str] = "market.NoteSold"
    trade_id: str
    order_id: str
    loan_id: str
    seller_id: str
    buyer_id: str
    note_id: str
    buyer_note_id: str
    principal: Money  # outstanding principal that changed hands
    charged_off: Money  # principal written down that changed hands
    price: Money
    status: SaleStatus
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.trade_id
