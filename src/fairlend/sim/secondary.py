"""The secondary market in the demo: holders offer notes and other investors buy them.

Under a profile with retail investors on, the demo's investors trade on
**market days**: every `MARKET_EVERY` days counted back from the last simulated
day, none before `FIRST_MARKET_DAY` (the first installments fall due about a
month after the loans open). On a market day:

1. the orders the demo placed on the last market day that nobody bought are
   cancelled by their sellers (`SaleOrders.cancel`);
2. holders offer notes (`SaleOrders.place`), one for each of `OFFERS`: a whole
   note at a 2 % discount, part of one (half, in whole notes) at 5 %, a whole
   note at a 1 % premium, each of a loan that is current, and a note of the
   most overdue loan at a 15 % discount, listed with its standing (`late_1_30`,
   or `late_31_plus` or `hardship` when its borrower is in a plan, which a
   buyer must acknowledge);
3. other investors buy them through `Trades.buy`, the path the API and the
   portal take: the first investor after the seller in the demo's list who
   has the cash, at the price they were quoted (`max_price`), acknowledging a
   disclosed standing as a buyer ticks the portal's box. On the last market
   day only the discounted current notes are bought, so the portal's market
   still shows a premium and a late order when the demo ends.

Sellers take turns (the first seller moves on by one each market day) and
offer their largest note. Every choice follows the loans' booking order and
the investors' list, never generated ids, so the same seed makes the same
trades. A refusal (a buyer over a limit, a note repaid meanwhile) is counted
in `DemoReport.orders` under `refused:<code>`, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.lending.model import LoanState
from fairlend.market.model import HolderKind, NoteView
from fairlend.market.secondary import OrderView
from fairlend.market.service import MarketService
from fairlend.money import Money
from fairlend.sim.market import retail
from fairlend.sim.report import DemoReport

FIRST_MARKET_DAY = 30
MARKET_EVERY = 30


@dataclass(frozen=True, slots=True)
class Offer:
    premium_bps: int  # negative: a discount
    part: bool = False  # half the note, in whole notes, instead of all of it
    late: bool = False  # a note of the most overdue loan instead of a current one
    bought_at_the_end: bool = False  # bought on the last market day too


OFFERS = (
    Offer(-200, bought_at_the_end=True),
    Offer(-500, part=True, bought_at_the_end=True),
    Offer(100),
    Offer(-1_500, late=True),
)


def market_days(days: int) -> list[int]:
    """The day offsets the investors trade on, oldest first: every 30th day back from the last one."""
    return sorted(range(days - 1, FIRST_MARKET_DAY - 1, -MARKET_EVERY))


class SecondaryMarket:
    def __init__(self, container: Container, report: DemoReport, days: int) -> None:
        self.c = container
        self.report = report
        on = container.market is not None and retail(container)
        self.days = set(market_days(days)) if on else set()
        self.last = days - 1
        self.unsold: list[OrderView] = []
        self.turns = 0
        if on and not self.days:
            report.notes.append(f"too few days for the secondary market (it opens on day {FIRST_MARKET_DAY})")

    def day(self, offset: int) -> None:
        market = self.c.market
        if offset not in self.days or market is None or not self.report.investors:
            return
        for order in self.unsold:
            try:
                market.orders.cancel(order.seller_id, order.id)
                self.report.orders["cancelled"] += 1
            except DomainError as refused:
                self.report.orders[f"refused:{refused.code}"] += 1
        self.unsold = []
        offered: set[str] = set()  # one note of a loan a day
        for n, offer in enumerate(OFFERS):
            found = self._late_note(market, offered) if offer.late else self._current_note(market, n, offer, offered)
            if found is None:
                continue
            note, amount = found
            try:
                order = market.orders.place(note.holder_id, note.id, amount, offer.premium_bps)
            except DomainError as refused:
                self.report.orders[f"refused:{refused.code}"] += 1
                continue
            self.report.orders["placed"] += 1
            offered.add(note.loan_id)
            if (offset == self.last and not offer.bought_at_the_end) or not self._buy(market, order):
                self.unsold.append(order)
        self.turns += 1

    # -- choosing ---------------------------------------------------------------------------------

    def _position(self) -> dict[str, int]:
        return {b.loan_id: n for n, b in enumerate(self.report.borrowers)}

    def _current_note(
        self, market: MarketService, n: int, offer: Offer, offered: set[str]
    ) -> tuple[NoteView, Money | None] | None:
        """The largest note of a current loan of the first seller in turn who has one, and the part to sell."""
        step = self.c.profile.marketplace.note_minimum_minor
        position = self._position()
        investors = self.report.investors
        for k in range(len(investors)):
            seller = investors[(self.turns + n + k) % len(investors)].person_id
            notes = [
                note
                for note in market.notes.of_holder(seller)
                if note.loan_id in position
                and note.loan_id not in offered
                and note.outstanding.minor >= 2 * step
                and self._current(note.loan_id)
            ]
            if notes:
                note = max(notes, key=lambda x: (x.outstanding.minor, -position[x.loan_id]))
                part = note.outstanding.minor // 2 // step * step
                return note, (Money(part, note.outstanding.currency) if offer.part else None)
        return None

    def _late_note(self, market: MarketService, offered: set[str]) -> tuple[NoteView, Money | None] | None:
        """The largest investor's note of the most overdue loan (ties: the earlier booked, the earlier investor)."""
        position = self._position()
        rank = {i.person_id: k for k, i in enumerate(self.report.investors)}
        overdue = [d for d in self.c.lending.delinquent_loans(1) if d.loan_id in position]
        for d in sorted(overdue, key=lambda d: (-d.days_past_due, position[d.loan_id])):
            if d.loan_id in offered:
                continue
            notes = [
                note
                for note in market.notes.of_loan(d.loan_id)
                if note.holder_kind is HolderKind.INVESTOR and note.holder_id in rank and note.outstanding.minor > 0
            ]
            if notes:
                return max(notes, key=lambda x: (x.outstanding.minor, -rank[x.holder_id])), None
        return None

    def _current(self, loan_id: str) -> bool:
        facts = self.c.lending.loan_facts(loan_id)
        return facts.state is LoanState.ACTIVE and facts.days_past_due == 0

    # -- buying -----------------------------------------------------------------------------------

    def _buy(self, market: MarketService, order: OrderView) -> bool:
        """The first investor after the seller with the cash buys at the quoted price; False if nobody did."""
        asked = order.quote
        if asked is None:
            return False
        investors = [i.person_id for i in self.report.investors]
        first = investors.index(order.seller_id)
        for k in range(1, len(investors)):
            buyer = investors[(first + k) % len(investors)]
            if market.wallets.wallet(buyer).available.minor < asked.price.minor:
                continue
            acknowledged = asked.status.value if asked.status.disclosed else None
            try:
                trade = market.trades.buy(buyer, order.id, max_price=asked.price, acknowledged=acknowledged)
            except DomainError as refused:
                self.report.orders[f"refused:{refused.code}"] += 1
                continue
            self.report.orders["bought"] += 1
            self.report.trades.append(trade.id)
            return True
        return False
