"""Sale orders: a holder offers a note, or part of it, on the secondary market; buyers browse them.

Placing an order checks that the note is the seller's and still has a claim
(principal outstanding, or after a charge-off the principal written down),
that a part is a multiple of the note size (the whole note is any amount),
that the premium is within bounds, and keeps the note's standing as it was
(a note more than 30 days overdue, charged off or in a hardship plan is
listed with that standing shown to buyers, beside its standing now). One open
order per note, so the same principal is never offered twice (a unique
partial index; a race between two placements loses on it). Cancelling is one
conditional UPDATE on `status = 'open'`, the statement a purchase claims the
order with, so a cancel racing a purchase: exactly one wins.

The price is not stored: it is quoted whenever an order is read (and again
when it is bought), because the note's principal falls as the loan is repaid
and its accrued interest grows day by day.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.market.events import SaleOrderCancelled, SaleOrderPlaced
from fairlend.market.model import HolderKind, check_amount
from fairlend.market.ports import NoteLoans
from fairlend.market.positions import note_shares, positions
from fairlend.market.secondary import (
    HistoryLine,
    LoanStanding,
    NoteAmounts,
    OrderStatus,
    OrderView,
    SaleStatus,
    check_premium,
    over_note_outstanding,
    quote,
    sale_status,
)
from fairlend.market.tables import market_listing, market_sale_order, market_trade
from fairlend.market.wallet import Wallets
from fairlend.money import Money

MAX_PAGE = 200
_HOLD_TRADES = text("LOCK TABLE market_sale_order IN SHARE MODE")
_ORDER_COLUMNS = (
    market_sale_order,
    market_listing.c.grade,
    market_listing.c.term_months,
    market_listing.c.nominal_rate,
    market_trade.c.id.label("trade_id"),
)


def _orders() -> Any:
    return (
        select(*_ORDER_COLUMNS)
        .select_from(
            market_sale_order.join(market_listing, market_listing.c.id == market_sale_order.c.listing_id).outerjoin(
                market_trade, market_trade.c.order_id == market_sale_order.c.id
            )
        )
        .order_by(market_sale_order.c.id.desc())
    )


def hold_trades(uow: UnitOfWork) -> None:
    """Wait for the trades in flight, and hold new ones back, until this transaction ends (PostgreSQL).

    Distribution and a charge-off's write-down read a loan's notes and then
    update them; a trade splitting a note in between would leave a share
    worked out over notes that are no longer there. SHARE conflicts with the
    ROW EXCLUSIVE lock a trade's first write (claiming its order) takes, and
    not with itself, so distributions and write-downs do not wait on each
    other. Take it before any wallet or note lock in the transaction: a trade
    waiting on it holds only its order's row, which nothing else here needs.
    SQLite runs one writer at a time, so there is nothing to take.
    """
    if uow.dialect == "postgresql":
        uow.conn.execute(_HOLD_TRADES)


def order_row(uow: UnitOfWork, order_id: str) -> Any:
    row = uow.conn.execute(_orders().where(market_sale_order.c.id == order_id)).first()
    if row is None:
        raise NotFound("order_not_found", f"no sale order {order_id}")
    return row


def order_not_open(status: str) -> Conflict:
    return Conflict(
        "order_not_open", f"this order is {status}; it can no longer be bought or cancelled", order_status=status
    )


def note_amounts(row: Any) -> NoteAmounts:
    return NoteAmounts(row.principal_minor, row.outstanding_minor, row.charged_off_minor)


def notes_outstanding(uow: UnitOfWork, loan_ids: Sequence[str]) -> dict[str, int]:
    """Each loan's notes' outstanding principal: the weight interest accrues to and is shared by."""
    p = positions()
    rows = uow.conn.execute(
        select(p.c.loan_id, func.sum(p.c.outstanding_minor))
        .where(p.c.loan_id.in_(sorted(set(loan_ids))))
        .group_by(p.c.loan_id)
    ).all()
    return {loan: int(total) for loan, total in rows}


class SaleOrders:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile, wallets: Wallets, loans: NoteLoans) -> None:
        self._uow = uow
        self._profile = profile
        self._market = profile.marketplace
        self._wallets = wallets
        self._loans = loans

    def place(self, seller_id: str, note_id: str, amount: Money | None, premium_bps: int) -> OrderView:
        """Offer the whole note (`amount` None) or part of it; refused with a stable code, nothing written."""
        check_premium(premium_bps)
        if amount is not None:
            check_amount(amount, self._profile.currency, self._market.note_minimum_minor)
        with self._uow(read_only=True) as uow:
            self._wallets.ready(uow, seller_id)
            note = self._held(uow, seller_id, note_id)
            if self._open_order_of(uow, note_id) is not None:
                raise Conflict("note_already_listed", "this note is already offered; cancel that order first")
            total = notes_outstanding(uow, [note.loan_id]).get(note.loan_id, 0)
            today = uow.clock.business_date()
        held = note_amounts(note)
        if held.claim == 0:
            raise Conflict("note_nothing_outstanding", "this note has nothing left to sell")
        part = held.claim if amount is None else amount.minor
        if part > held.claim:
            raise over_note_outstanding(held.claim)
        standing = self._loans.standing(note.loan_id)
        status = sale_status(standing, held.charged_off)
        if status is SaleStatus.CLOSED:
            raise Conflict("note_nothing_outstanding", "this note's loan is settled; nothing is left to sell")
        asked = quote(held, part, standing, total, premium_bps, self._market.servicing_fee_rate, today, note.currency)
        if asked.price.minor <= 0:
            raise Invalid("price_not_positive", "at that discount the note would sell for nothing")
        order_id = new_id("ord")
        with self._uow() as uow:
            try:
                uow.conn.execute(
                    insert(market_sale_order).values(
                        id=order_id,
                        seller_id=seller_id,
                        note_id=note_id,
                        loan_id=note.loan_id,
                        listing_id=note.listing_id,
                        currency=note.currency,
                        amount_minor=None if amount is None else amount.minor,
                        premium_bps=premium_bps,
                        status=OrderStatus.OPEN.value,
                        status_at_listing=status.value,
                        listed_on=today,
                        created_at=uow.clock.now(),
                    )
                )
            except IntegrityError:
                raise Conflict("note_already_listed", "this note is already offered; cancel that order first") from None
            uow.publish(SaleOrderPlaced(order_id, seller_id, note_id, note.loan_id, amount, premium_bps, status, today))
            uow.commit()
        return self.get(order_id)

    def cancel(self, seller_id: str, order_id: str) -> OrderView:
        """Withdraw an open order: the one conditional UPDATE a purchase also races for."""
        with self._uow() as uow:
            row = order_row(uow, order_id)
            if row.seller_id != seller_id:
                raise NotFound("order_not_found", f"no sale order {order_id} of yours")
            closed = uow.conn.execute(
                update(market_sale_order)
                .where(market_sale_order.c.id == order_id, market_sale_order.c.status == OrderStatus.OPEN.value)
                .values(status=OrderStatus.CANCELLED.value, closed_at=uow.clock.now())
            ).rowcount
            if closed != 1:
                raise order_not_open(order_row(uow, order_id).status)
            uow.publish(SaleOrderCancelled(order_id, seller_id, row.note_id, row.loan_id, uow.clock.business_date()))
            uow.commit()
        return self.get(order_id)

    # -- reading ---------------------------------------------------------------------------------

    def get(self, order_id: str) -> OrderView:
        with self._uow(read_only=True) as uow:
            return self._views(uow, [order_row(uow, order_id)])[0]

    def browse(
        self,
        *,
        status: OrderStatus | None = OrderStatus.OPEN,
        seller_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[OrderView]:
        """Orders, newest first: open ones by default, or one seller's of any status."""
        query = _orders()
        if status is not None:
            query = query.where(market_sale_order.c.status == status.value)
        if seller_id is not None:
            query = query.where(market_sale_order.c.seller_id == seller_id)
        query = query.limit(max(1, min(limit, MAX_PAGE))).offset(max(0, offset))
        with self._uow(read_only=True) as uow:
            return self._views(uow, uow.conn.execute(query).all())

    def history(self, order_id: str) -> list[HistoryLine]:
        """The note's payment history: every distribution it received, oldest first."""
        with self._uow(read_only=True) as uow:
            row = order_row(uow, order_id)
            rows = note_shares(uow, note_ids=[row.note_id])
        return [
            HistoryLine(
                r.business_date,
                r.kind,
                Money(r.principal, r.currency),
                Money(r.net + r.fee - r.principal, r.currency),
                Money(r.fee, r.currency),
                Money(r.net, r.currency),
            )
            for r in rows
        ]

    def _views(self, uow: UnitOfWork, rows: Sequence[Any]) -> list[OrderView]:
        """Orders as buyers see them, each open one with today's quote (one lending read per loan)."""
        open_rows = [r for r in rows if r.status == OrderStatus.OPEN.value]
        notes: dict[tuple[str, str], Any] = {}
        totals: dict[str, int] = {}
        if open_rows:
            keys = sorted({(r.seller_id, r.note_id) for r in open_rows})
            p = positions()
            found = uow.conn.execute(select(p).where(tuple_(p.c.holder_id, p.c.id).in_(keys))).all()
            notes = {(n.holder_id, n.id): n for n in found}
            totals = notes_outstanding(uow, [r.loan_id for r in open_rows])
        today = uow.clock.business_date()
        standings: dict[str, LoanStanding] = {}
        views = []
        for r in rows:
            asked = None
            note = notes.get((r.seller_id, r.note_id))
            if r.status == OrderStatus.OPEN.value and note is not None:
                held = note_amounts(note)
                part = held.claim if r.amount_minor is None else r.amount_minor
                if 0 < part <= held.claim:
                    if r.loan_id not in standings:
                        standings[r.loan_id] = self._loans.standing(r.loan_id)
                    fee = self._market.servicing_fee_rate
                    total = totals.get(r.loan_id, 0)
                    asked = quote(held, part, standings[r.loan_id], total, r.premium_bps, fee, today, r.currency)
            views.append(
                OrderView(
                    id=r.id,
                    seller_id=r.seller_id,
                    note_id=r.note_id,
                    loan_id=r.loan_id,
                    listing_id=r.listing_id,
                    status=OrderStatus(r.status),
                    amount=None if r.amount_minor is None else Money(r.amount_minor, r.currency),
                    premium_bps=r.premium_bps,
                    status_at_listing=SaleStatus(r.status_at_listing),
                    listed_on=r.listed_on,
                    grade=r.grade,
                    term_months=r.term_months,
                    nominal_rate=r.nominal_rate,
                    quote=asked,
                    trade_id=r.trade_id,
                )
            )
        return views

    # -- helpers -------------------------------------------------------------------------------

    def _held(self, uow: UnitOfWork, holder_id: str, note_id: str) -> Any:
        p = positions()
        row = uow.conn.execute(
            select(p).where(
                p.c.holder_id == holder_id,
                p.c.id == note_id,
                p.c.holder_kind == HolderKind.INVESTOR.value,
            )
        ).first()
        if row is None:
            raise NotFound("note_not_found", f"no note {note_id} of yours")
        return row

    def _open_order_of(self, uow: UnitOfWork, note_id: str) -> str | None:
        found: str | None = uow.conn.execute(
            select(market_sale_order.c.id).where(
                market_sale_order.c.note_id == note_id, market_sale_order.c.status == OrderStatus.OPEN.value
            )
        ).scalar()
        return found
