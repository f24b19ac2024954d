"""Buying on the secondary market: the note and the cash change hands in one transaction.

`Trades.buy` reads what it may outside the transaction (the buyer's standing,
the order, lending's view of the loan), then, in one transaction:

1. claims the order: `UPDATE ... SET status = 'filled' WHERE id = :id AND
   status = 'open'`. Of two buyers, or a buyer and the seller's cancel, only
   one UPDATE finds the row open; the other is told `order_not_open`. On
   PostgreSQL this first write also takes the order table's ROW EXCLUSIVE
   lock, which end-of-day distribution and a charge-off wait on (and which
   waits on them: `hold_trades`), so no distribution ever shares a loan's
   receipts over notes a trade is splitting;
2. locks the seller's note (`FOR UPDATE`) and quotes the price from it as it
   is now (its outstanding principal, the loan's accrued interest, the
   order's premium); refuses if the part is more than is left
   (`over_note_outstanding`), if a disclosed standing was not acknowledged,
   or if the price passed the buyer's limit;
3. moves the cash, wallets in investor order (the lock order every cash path
   keeps): the buyer's only while `cash - committed >= price`, so a buyer is
   never overdrawn (`insufficient_cash`); checks MK-5 under that lock;
4. splits the note (`secondary.transfer`): the seller's keeps the rest and its
   history, the buyer's is new; the loan's notes still sum to its principal;
5. posts one journal entry: the buyer's investor cash to the seller's, and the
   seller's notes payable to the buyer's (no fee: the profiles carry none for
   trades); records the trade and publishes `NoteSold`.

A failure anywhere rolls all of it back: the order open, the note and the
cash as they were. A crash between the cash and the note (crash point
`market.trade_after_cash`) leaves neither.

Distribution follows the holder: receipts still undistributed at the sale
(money the borrower paid before it, shared at the next end-of-day) go to
whoever holds the note when they are distributed, i.e. the buyer. The price
includes the interest accrued since the last due date for the same reason:
the buyer receives the whole next installment's interest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, insert, or_, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, PolicyViolation
from fairlend.faults import crash_point
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType, Posting, credit, debit, entry
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.market import epochs
from fairlend.market.events import NoteSold
from fairlend.market.listing import listing_row
from fairlend.market.model import HolderKind, suitability_headroom
from fairlend.market.orders import note_amounts, notes_outstanding, order_not_open, order_row
from fairlend.market.ports import InvestorIdentity, NoteLoans
from fairlend.market.positions import outstanding_of
from fairlend.market.reconcile import TRADE_KIND
from fairlend.market.secondary import (
    NoteAmounts,
    OrderStatus,
    SaleStatus,
    TradeView,
    Transfer,
    over_note_outstanding,
    quote,
    transfer,
)
from fairlend.market.tables import market_note, market_sale_order, market_trade, market_wallet
from fairlend.market.wallet import Wallets, shortfall, wallet_of
from fairlend.money import Money


class Trades:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        ledger: Ledger,
        profile: Profile,
        wallets: Wallets,
        identity: InvestorIdentity,
        loans: NoteLoans,
    ) -> None:
        self._uow = uow
        self._ledger = ledger
        self._profile = profile
        self._market = profile.marketplace
        self._wallets = wallets
        self._identity = identity
        self._loans = loans

    def buy(
        self, buyer_id: str, order_id: str, *, max_price: Money | None = None, acknowledged: str | None = None
    ) -> TradeView:
        """Buy an open order whole; refused with a stable code and nothing written (see the module's steps)."""
        with self._uow(read_only=True) as uow:
            buyer = self._wallets.ready(uow, buyer_id)
            order = order_row(uow, order_id)
            borrower_id = listing_row(uow, order.listing_id).borrower_id
        if order.status != OrderStatus.OPEN.value:
            raise order_not_open(order.status)
        if order.seller_id == buyer_id or self._identity.same_person(buyer_id, order.seller_id):
            raise Forbidden("own_order", "you cannot buy your own order; cancel it instead")
        if self._identity.same_person(buyer_id, borrower_id):
            raise Forbidden("own_loan", "you cannot buy a note of your own loan")
        standing = self._loans.standing(order.loan_id)
        trade_id = new_id("trd")
        with self._uow() as uow:
            conn = uow.conn
            now, today = uow.clock.now(), uow.clock.business_date()
            claimed = conn.execute(
                update(market_sale_order)
                .where(market_sale_order.c.id == order_id, market_sale_order.c.status == OrderStatus.OPEN.value)
                .values(status=OrderStatus.FILLED.value, buyer_id=buyer_id, closed_at=now)
            ).rowcount
            if claimed != 1:
                raise order_not_open(order_row(uow, order_id).status)
            # A sale changes the loan's weights: its epoch ends first (held units paid, the notes' rows
            # brought up to date), so the note read below is as it is now; the new epoch starts after.
            epochs.settle(uow, self._ledger, order.loan_id, today)
            note = conn.execute(
                select(market_note)
                .where(market_note.c.holder_id == order.seller_id, market_note.c.id == order.note_id)
                .with_for_update()
            ).one()
            held = note_amounts(note)
            part = held.claim if order.amount_minor is None else order.amount_minor
            if part <= 0 or part > held.claim:
                raise over_note_outstanding(held.claim)
            total = notes_outstanding(uow, [order.loan_id]).get(order.loan_id, 0)
            fee_rate = self._market.servicing_fee_rate
            asked = quote(held, part, standing, total, order.premium_bps, fee_rate, today, order.currency)
            self._acceptable(asked.status, asked.price, acknowledged, max_price)
            move = transfer(held, part)
            self._move_cash(uow, buyer_id, order.seller_id, asked.price)
            self._within_suitability(uow, buyer, move.buyer.outstanding)
            crash_point("market.trade_after_cash")  # cash moved, note not yet: a crash here leaves neither
            buyer_note_id = self._move_note(uow, note, buyer_id, move)
            epochs.reweigh(uow, order.loan_id)
            entry_id = self._post(uow, trade_id, order.seller_id, buyer_id, asked.price, move.buyer.outstanding)
            conn.execute(
                insert(market_trade).values(
                    id=trade_id,
                    order_id=order_id,
                    loan_id=order.loan_id,
                    seller_id=order.seller_id,
                    buyer_id=buyer_id,
                    note_id=order.note_id,
                    buyer_note_id=buyer_note_id,
                    currency=order.currency,
                    principal_minor=move.buyer.outstanding,
                    charged_off_minor=move.buyer.charged_off,
                    accrued_minor=asked.accrued.minor,
                    premium_bps=order.premium_bps,
                    price_minor=asked.price.minor,
                    sale_status=asked.status.value,
                    business_date=today,
                    entry_id=entry_id,
                    created_at=now,
                )
            )
            currency = order.currency
            uow.publish(
                NoteSold(
                    trade_id,
                    order_id,
                    order.loan_id,
                    order.seller_id,
                    buyer_id,
                    order.note_id,
                    buyer_note_id,
                    Money(move.buyer.outstanding, currency),
                    Money(move.buyer.charged_off, currency),
                    asked.price,
                    asked.status,
                    today,
                )
            )
            uow.commit()
        return self.trade(trade_id)

    def _acceptable(self, status: SaleStatus, price: Money, acknowledged: str | None, max_price: Money | None) -> None:
        if status is SaleStatus.CLOSED:
            raise Conflict("note_nothing_outstanding", "this note's loan is settled; nothing is left to buy")
        if status.disclosed and acknowledged != status.value:
            raise Conflict(
                "status_not_acknowledged",
                f"this note's loan is {status.value.replace('_', ' ')}: acknowledge that standing to buy it",
                standing=status.value,
            )
        if max_price is not None and price.minor > max_price.minor:
            raise Conflict(
                "price_changed",
                f"the price is now {price}, above your limit {max_price}",
                price=str(price.to_decimal()),
            )

    def _move_cash(self, uow: UnitOfWork, buyer_id: str, seller_id: str, price: Money) -> None:
        """The buyer's cash to the seller's, wallets taken in investor order; never overdraws the buyer."""
        w = market_wallet
        for investor in sorted((buyer_id, seller_id)):
            if investor == buyer_id:
                taken = uow.conn.execute(
                    update(w)
                    .where(w.c.investor_id == buyer_id, w.c.cash_minor - w.c.committed_minor >= price.minor)
                    .values(cash_minor=w.c.cash_minor - price.minor)
                ).rowcount
                if taken != 1:
                    raise shortfall(wallet_of(uow, buyer_id, price.currency), price, "buy")
            else:
                uow.conn.execute(
                    update(w).where(w.c.investor_id == seller_id).values(cash_minor=w.c.cash_minor + price.minor)
                )

    def _within_suitability(self, uow: UnitOfWork, buyer: Any, principal: int) -> None:
        """MK-5, under the buyer's wallet lock: notes and commitments, this purchase included, within the limit."""
        rules = self._market.investors
        if rules.suitability_share <= 0 or principal <= 0:
            return
        committed = uow.conn.execute(
            select(market_wallet.c.committed_minor).where(market_wallet.c.investor_id == buyer.investor_id)
        ).scalar()
        currency = self._profile.currency
        outstanding = outstanding_of(uow, [buyer.investor_id], currency)[buyer.investor_id]
        worth = None if buyer.net_worth_minor is None else Money(buyer.net_worth_minor, currency)
        invested = Money(int(committed or 0) + outstanding, currency)
        headroom = suitability_headroom(worth, rules.suitability_share, invested)
        if headroom is not None and principal > headroom.minor:
            raise PolicyViolation(
                "suitability_limit",
                f"notes are limited to {rules.suitability_share:%} of your stated net worth; {headroom} is left",
                rules=[rules.suitability_rule],
            )

    def _move_note(self, uow: UnitOfWork, note: Any, buyer_id: str, move: Transfer) -> str:
        """The seller's note keeps what is left (and its history); the part becomes the buyer's new note."""
        kept = move.seller
        uow.conn.execute(
            update(market_note)
            .where(market_note.c.holder_id == note.holder_id, market_note.c.id == note.id)
            .values(
                principal_minor=kept.principal, outstanding_minor=kept.outstanding, charged_off_minor=kept.charged_off
            )
        )
        buyer_note_id = new_id("note")
        got: NoteAmounts = move.buyer
        uow.conn.execute(
            insert(market_note).values(
                holder_id=buyer_id,
                id=buyer_note_id,
                holder_kind=HolderKind.INVESTOR.value,
                loan_id=note.loan_id,
                listing_id=note.listing_id,
                currency=note.currency,
                principal_minor=got.principal,
                outstanding_minor=got.outstanding,
                charged_off_minor=got.charged_off,
                created_at=uow.clock.now(),
            )
        )
        return buyer_note_id

    def _post(self, uow: UnitOfWork, trade_id: str, seller_id: str, buyer_id: str, price: Money, principal: int) -> str:
        currency = price.currency
        postings: list[Posting] = [
            debit(AccountKey(AccountType.INVESTOR_CASH, currency, buyer_id), price),
            credit(AccountKey(AccountType.INVESTOR_CASH, currency, seller_id), price),
        ]
        if principal:
            moved = Money(principal, currency)
            postings.append(debit(AccountKey(AccountType.NOTES_PAYABLE, currency, seller_id), moved))
            postings.append(credit(AccountKey(AccountType.NOTES_PAYABLE, currency, buyer_id), moved))
        return self._ledger.post(uow, entry(uow.clock.business_date(), TRADE_KIND, *postings, reference=trade_id))

    # -- reading ---------------------------------------------------------------------------------

    def trade(self, trade_id: str) -> TradeView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(select(market_trade).where(market_trade.c.id == trade_id)).one()
        return _view(row)

    def of_investor(self, investor_id: str) -> list[TradeView]:
        """The investor's trades, bought and sold, newest first."""
        t = market_trade
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(t).where(or_(t.c.buyer_id == investor_id, t.c.seller_id == investor_id)).order_by(t.c.id.desc())
            ).all()
        return [_view(r) for r in rows]


def _view(r: Any) -> TradeView:
    def m(minor: int) -> Money:
        return Money(minor, r.currency)

    return TradeView(
        id=r.id,
        order_id=r.order_id,
        loan_id=r.loan_id,
        seller_id=r.seller_id,
        buyer_id=r.buyer_id,
        note_id=r.note_id,
        buyer_note_id=r.buyer_note_id,
        principal=m(r.principal_minor),
        charged_off=m(r.charged_off_minor),
        accrued=m(r.accrued_minor),
        premium_bps=r.premium_bps,
        price=m(r.price_minor),
        status=SaleStatus(r.sale_status),
        business_date=r.business_date,
    )


def trade_discrepancies(uow_factory: UnitOfWorkFactory, ledger: Ledger) -> list[Discrepancy]:
    """`verify`: each investor's trades equal what trade entries moved on their cash and notes payable;
    every filled order has its trade and every trade its filled order."""
    found: list[Discrepancy] = []
    t, o = market_trade, market_sale_order
    cash: dict[str, int] = {}
    payable: dict[str, int] = {}
    with uow_factory(read_only=True) as uow:
        for r in uow.conn.execute(select(t.c.seller_id, t.c.buyer_id, t.c.price_minor, t.c.principal_minor)):
            cash[r.seller_id] = cash.get(r.seller_id, 0) + r.price_minor
            cash[r.buyer_id] = cash.get(r.buyer_id, 0) - r.price_minor
            payable[r.buyer_id] = payable.get(r.buyer_id, 0) + r.principal_minor
            payable[r.seller_id] = payable.get(r.seller_id, 0) - r.principal_minor
        unmatched = uow.conn.execute(
            select(o.c.id, o.c.status, t.c.id)
            .select_from(o.outerjoin(t, t.c.order_id == o.c.id))
            .where(
                or_(
                    and_(o.c.status == OrderStatus.FILLED.value, t.c.id.is_(None)),
                    and_(o.c.status != OrderStatus.FILLED.value, t.c.id.is_not(None)),
                )
            )
        ).all()
        orphans = uow.conn.execute(
            select(t.c.id).select_from(t.outerjoin(o, o.c.id == t.c.order_id)).where(o.c.id.is_(None))
        ).all()
    for order_id, status, trade_id in unmatched:
        found.append(Discrepancy("market.order_trade", order_id, f"order {status}, trade {trade_id or 'none'}"))
    for (trade_id,) in orphans:
        found.append(Discrepancy("market.order_trade", trade_id, "a trade without its order"))
    for kind, mine, account in (
        ("cash", cash, AccountType.INVESTOR_CASH),
        ("notes", payable, AccountType.NOTES_PAYABLE),
    ):
        booked = {owner: -raw for owner, raw in ledger.kind_totals(TRADE_KIND, account).items()}
        for investor in sorted(set(mine) | set(booked)):
            if mine.get(investor, 0) != booked.get(investor, 0):
                found.append(
                    Discrepancy(
                        f"market.trade_{kind}",
                        investor,
                        f"trades {mine.get(investor, 0)}, ledger {booked.get(investor, 0)}",
                    )
                )
    return found
