"""The secondary market over HTTP (under /api/v1/market): sale orders and trades.

Selling and buying are for investors; investors and staff browse. Placing an
order and buying need an Idempotency-Key (a retry must not list or buy
twice); cancelling takes one too, optionally. An order shows the note's
standing when it was listed and now (more than 30 days overdue, charged off,
in a hardship plan: `disclosed`), today's price, accrued interest and yield
to maturity, and, for one order, the note's payment history. No order or
trade names the other party: a seller is `mine` or not.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.routers.lending_models import MoneyPublic
from fairlend.api.routers.market import Browser, Investor
from fairlend.market.secondary import HistoryLine, OrderStatus, OrderView, Quote, TradeView
from fairlend.money import Money

router = APIRouter(prefix="/market", tags=["secondary market"])

ORDER_STATUSES = "^(open|filled|cancelled|all)$"


class OrderCreate(BaseModel):
    note_id: str = Field(min_length=1, max_length=40, description="one of your notes (GET /market/notes)")
    amount: Amount | None = Field(
        default=None, description="the principal to sell, a multiple of the note size; leave out to sell the whole note"
    )
    premium_bps: int = Field(
        description="premium (negative: discount) in basis points to principal plus accrued interest, "
        "-9900 (a 99 % discount) to 2000 (a 20 % premium)"
    )


class TradeCreate(BaseModel):
    order_id: str = Field(min_length=1, max_length=40)
    max_price: Amount | None = Field(default=None, description="refuse (price_changed) if the price is now above this")
    acknowledged_status: str | None = Field(
        default=None,
        max_length=20,
        description="the note's standing you saw, needed when it is disclosed (late_31_plus, hardship, charged_off)",
    )


class QuotePublic(BaseModel):
    status: str  # the note's standing now
    disclosed: bool  # more than 30 days overdue, charged off or in a hardship plan
    principal: MoneyPublic
    accrued: MoneyPublic
    price: MoneyPublic
    premium_bps: int
    ytm: Decimal | None  # nominal yearly yield to maturity at the price, net of the servicing fee

    @classmethod
    def of(cls, q: Quote) -> QuotePublic:
        return cls(
            status=q.status.value,
            disclosed=q.status.disclosed,
            principal=MoneyPublic.of(q.principal),
            accrued=MoneyPublic.of(q.accrued),
            price=MoneyPublic.of(q.price),
            premium_bps=q.premium_bps,
            ytm=q.ytm,
        )


class OrderPublic(BaseModel):
    id: str
    listing_id: str  # the listing's terms and anonymous borrower profile: GET /market/listings/{id}
    note_id: str
    status: str
    whole: bool
    amount: MoneyPublic | None
    premium_bps: int
    status_at_listing: str
    disclosed_at_listing: bool
    listed_on: date
    grade: str
    term_months: int
    nominal_rate: Decimal
    mine: bool
    quote: QuotePublic | None  # today's, while the order is open and can be filled

    @classmethod
    def of(cls, v: OrderView, caller: str) -> OrderPublic:
        return cls(
            id=v.id,
            listing_id=v.listing_id,
            note_id=v.note_id,
            status=v.status.value,
            whole=v.amount is None,
            amount=None if v.amount is None else MoneyPublic.of(v.amount),
            premium_bps=v.premium_bps,
            status_at_listing=v.status_at_listing.value,
            disclosed_at_listing=v.status_at_listing.disclosed,
            listed_on=v.listed_on,
            grade=v.grade,
            term_months=v.term_months,
            nominal_rate=v.nominal_rate,
            mine=v.seller_id == caller,
            quote=None if v.quote is None else QuotePublic.of(v.quote),
        )


class HistoryPublic(BaseModel):
    business_date: date
    kind: str
    principal: MoneyPublic
    interest: MoneyPublic
    fee: MoneyPublic
    net: MoneyPublic

    @classmethod
    def of(cls, h: HistoryLine) -> HistoryPublic:
        return cls(
            business_date=h.business_date,
            kind=h.kind,
            principal=MoneyPublic.of(h.principal),
            interest=MoneyPublic.of(h.interest),
            fee=MoneyPublic.of(h.fee),
            net=MoneyPublic.of(h.net),
        )


class OrderDetailPublic(OrderPublic):
    history: list[HistoryPublic]  # the note's distributions, oldest first


class TradePublic(BaseModel):
    id: str
    order_id: str
    side: str  # bought | sold
    note_id: str  # your note: the one you bought, or the one you sold from
    principal: MoneyPublic
    charged_off: MoneyPublic
    accrued: MoneyPublic
    premium_bps: int
    price: MoneyPublic
    status: str
    business_date: date

    @classmethod
    def of(cls, t: TradeView, caller: str) -> TradePublic:
        bought = t.buyer_id == caller
        return cls(
            id=t.id,
            order_id=t.order_id,
            side="bought" if bought else "sold",
            note_id=t.buyer_note_id if bought else t.note_id,
            principal=MoneyPublic.of(t.principal),
            charged_off=MoneyPublic.of(t.charged_off),
            accrued=MoneyPublic.of(t.accrued),
            premium_bps=t.premium_bps,
            price=MoneyPublic.of(t.price),
            status=t.status.value,
            business_date=t.business_date,
        )


def _money(container: ContainerDep, amount: Decimal | None) -> Money | None:
    return None if amount is None else Money.of(amount, container.profile.currency)


@router.post("/orders", response_model=OrderPublic, status_code=status.HTTP_201_CREATED)
def place(
    body: OrderCreate, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> OrderPublic:
    """Offer one of your notes, or part of it, at a premium or discount to principal plus accrued interest."""
    require_key(idempotency_key)
    made = container.market.orders.place(
        principal.subject_id, body.note_id, _money(container, body.amount), body.premium_bps
    )
    return OrderPublic.of(made, principal.subject_id)


@router.get("/orders", response_model=list[OrderPublic])
def orders(
    container: ContainerDep,
    principal: Browser,
    order_status: Annotated[str, Query(alias="status", pattern=ORDER_STATUSES)] = "open",
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OrderPublic]:
    """Orders, newest first: open ones by default; `mine=true` for your own of any status."""
    wanted = None if order_status == "all" else OrderStatus(order_status)
    found = container.market.orders.browse(
        status=wanted, seller_id=principal.subject_id if mine else None, limit=limit, offset=offset
    )
    return [OrderPublic.of(v, principal.subject_id) for v in found]


@router.get("/orders/{order_id}", response_model=OrderDetailPublic)
def order(order_id: str, container: ContainerDep, principal: Browser) -> OrderDetailPublic:
    """One order with today's price and yield, and the note's payment history."""
    view = container.market.orders.get(order_id)
    history = [HistoryPublic.of(h) for h in container.market.orders.history(order_id)]
    return OrderDetailPublic(**OrderPublic.of(view, principal.subject_id).model_dump(), history=history)


@router.post("/orders/{order_id}/cancel", response_model=OrderPublic)
def cancel(
    order_id: str, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> OrderPublic:
    """Withdraw your open order; refused (order_not_open) once it was bought."""
    return OrderPublic.of(container.market.orders.cancel(principal.subject_id, order_id), principal.subject_id)


@router.post("/trades", response_model=TradePublic, status_code=status.HTTP_201_CREATED)
def buy(
    body: TradeCreate, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> TradePublic:
    """Buy an open order whole: the note (or part) and the cash change hands at once."""
    require_key(idempotency_key)
    made = container.market.trades.buy(
        principal.subject_id,
        body.order_id,
        max_price=_money(container, body.max_price),
        acknowledged=body.acknowledged_status,
    )
    return TradePublic.of(made, principal.subject_id)


@router.get("/trades", response_model=list[TradePublic])
def trades(container: ContainerDep, principal: Investor) -> list[TradePublic]:
    """Your trades, bought and sold, newest first."""
    return [TradePublic.of(t, principal.subject_id) for t in container.market.trades.of_investor(principal.subject_id)]
