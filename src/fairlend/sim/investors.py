"""The simulated investors: they sign up, deposit, invest (by rule or by hand) and trade notes.

Under a profile with retail investors on (`us`, MK-5) each investor signs up
as a borrower does, accepts the investor agreement with a declared net worth
and deposits their cash (sim/traits.py `InvestorTraits`). Most keep an
auto-invest rule, which the market serves when a listing opens; what the
rules leave, the investors who pick by hand fund in one-to-four-note steps,
taking turns, until the listing is funded. On market days (every 30th)
traders offer one current note each at a small discount and other traders
buy it. At the end each investor's NAR gives the run's percentiles. Under
`cn` (MK-1) there are no retail investors: the funding partner funds every
offer at once and this module does nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fairlend.errors import Conflict, DomainError
from fairlend.identity.model import ConsentPurpose, OtpPurpose, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.lending.model import LoanState
from fairlend.money import Money
from fairlend.sim.market import AGREEMENT, NET_WORTH_MAJOR, auto_rule
from fairlend.sim.traits import InvestorTraits, agent_rng
from fairlend.sim.world import World

MARKET_EVERY = 30  # business days between market days
MAX_REFUSALS = 25  # investors in a row who cannot invest before a listing waits for its deadline
DISCOUNT_BPS = -200


class Investors:
    def __init__(self, world: World, traits: list[InvestorTraits], seed: int) -> None:
        self.w = world
        self.traits = traits if world.retail else []
        self.ids: list[str] = []  # person ids, in the traits' order
        self.by_hand: list[str] = []
        self.traders: list[str] = []
        self.rng = agent_rng(seed, "market", 0)
        self.turn = 0

    def enrol(self, sender: DevMessageSender) -> None:
        identity, market = self.w.identity, self.w.market
        currency = self.w.profile.currency
        for t in self.traits:
            identity.otp.send_code(t.phone, OtpPurpose.SIGN_UP)
            code = sender.last_code(identity.otp.phone(t.phone).e164, OtpPurpose.SIGN_UP.value)
            if code is None:
                raise Conflict("demo_code_missing", "the development sender kept no code for an investor")
            who = identity.accounts.sign_up(t.phone, code, Role.INVESTOR)
            identity.kyc.verify_identity(who.subject_id, t.name, t.id_number, t.birth_date)
            identity.kyc.bind_bank_card(who.subject_id, t.card_number)
            identity.consents.give(who.subject_id, ConsentPurpose.DATA_PROCESSING, "data-processing/v1")
            market.wallets.register(
                who.subject_id, agreement_version=AGREEMENT, net_worth=Money.of(NET_WORTH_MAJOR * 5, currency)
            )
            market.wallets.deposit(who.subject_id, Money.of(t.cash, currency))
            if t.auto:
                market.autoinvest.rules.create(who.subject_id, auto_rule(self.w.c))
            else:
                self.by_hand.append(who.subject_id)
            if t.trader:
                self.traders.append(who.subject_id)
            self.ids.append(who.subject_id)
            self.w.report.investor_ids.append(who.subject_id)
        self.w.report.investors = len(self.ids)

    def fund(self, listing_id: str) -> str | None:
        """Investors who pick by hand take turns on the listing until it is funded; the loan's id, if it was."""
        market, order = self.w.market, self.by_hand or self.ids
        if not order:
            return market.listings.get(listing_id).loan_id
        note = Money(self.w.profile.marketplace.note_minimum_minor, self.w.profile.currency)
        refused = 0
        while refused < min(MAX_REFUSALS, len(order)):
            listing = market.listings.get(listing_id)
            if listing.loan_id is not None or listing.remaining.minor <= 0:
                return listing.loan_id
            investor = order[self.turn % len(order)]
            self.turn += 1
            steps = max(1, min(listing.remaining.minor // note.minor, 1 + self.rng.randrange(4)))
            try:
                market.commitments.invest(investor, listing_id, Money(note.minor * steps, note.currency))
                refused = 0
            except DomainError:
                refused += 1  # out of cash or over a limit: the next investor's turn
        return market.listings.get(listing_id).loan_id

    def trade(self, offset: int, order: dict[str, int]) -> None:
        """On market days each trader offers their largest current note at a discount; the next trader buys."""
        if offset == 0 or offset % MARKET_EVERY or len(self.traders) < 2:
            return
        market, report = self.w.market, self.w.report
        for k, seller in enumerate(self.traders):
            notes = sorted(
                (n for n in market.notes.of_holder(seller) if n.loan_id in order and n.outstanding.minor > 0),
                key=lambda n: (-n.outstanding.minor, order[n.loan_id]),
            )
            note = next((n for n in notes[:5] if self._current(n.loan_id)), None)
            if note is None:
                continue
            try:
                placed = market.orders.place(seller, note.id, None, DISCOUNT_BPS)
            except DomainError as refused:
                report.trades[f"refused:{refused.code}"] += 1
                continue
            report.trades["placed"] += 1
            buyer = self.traders[(k + 1) % len(self.traders)]
            quote = placed.quote
            try:
                if quote is None:
                    raise Conflict("no_quote", "the order has no price")
                acknowledged = quote.status.value if quote.status.disclosed else None
                market.trades.buy(buyer, placed.id, max_price=quote.price, acknowledged=acknowledged)
                report.trades["bought"] += 1
            except DomainError as refused:
                report.trades[f"refused:{refused.code}"] += 1
                market.orders.cancel(seller, placed.id)
                report.trades["cancelled"] += 1

    def _current(self, loan_id: str) -> bool:
        facts = self.w.lending.loan_facts(loan_id)
        return facts.state is LoanState.ACTIVE and facts.days_past_due == 0

    def nar_percentiles(self, today: date) -> dict[str, str]:
        nars = sorted(nar for who in self.ids if (nar := self.w.market.portfolios.portfolio(who).nar) is not None)
        if not nars:
            return {}
        pick = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
        return {
            k: str(nars[min(len(nars) - 1, int(q * len(nars)))].quantize(Decimal("0.0001"))) for k, q in pick.items()
        }
