"""A marketplace wired over the test container: fake identity facts, the dev rail, origination's fakes.

`p2p` turns the default `cn` profile's marketplace into a retail one (MK-1's
historical mode) so listings open to investors, in yuan, with origination's
usual fake borrowers.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import DomainError
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.market.adapters import OriginationOffers
from fairlend.market.ports import DevRail, NoteLoans, PaymentRail
from fairlend.market.service import MarketService
from fairlend.money import Money
from fairlend.origination.fakes import FakeBureau, FakeIdentity
from fairlend.origination.lending_adapter import PERSONAL_LOAN, LendingAdapter
from fairlend.origination.service import OriginationService
from tests.origination.support import World as OriginationWorld
from tests.origination.support import solid_borrower


def yuan(amount: int | str) -> Money:
    return Money.of(amount, "CNY")


def close_days(container: Container, clock: FixedClock, days: int) -> None:
    """Run end-of-day over the next `days` business dates."""
    container.eod.run(through=clock.business_date() + timedelta(days=days - 1))


def investor_cash(container: Container, investor: str) -> int:
    """The investor's cash in the ledger, in minor units (a liability: credit-normal)."""
    return -container.ledger.balance(AccountKey(AccountType.INVESTOR_CASH, "CNY", investor)).minor


def p2p(profile: Profile, **market: object) -> Profile:
    """Retail investors on, no funding partner, nothing taken by the platform unless asked."""
    changes: dict[str, object] = {
        "retail": True,
        "funding_partners": (),
        "platform_min_share": Decimal(0),
        "platform_takes_remainder": False,
    }
    changes.update(market)
    return replace(profile, marketplace=replace(profile.marketplace, **changes))  # type: ignore[arg-type]


@dataclass
class FakeInvestorIdentity:
    verified_ids: set[str] = field(default_factory=set)
    same: set[frozenset[str]] = field(default_factory=set)

    def verified(self, person_id: str) -> bool:
        return person_id in self.verified_ids

    def same_person(self, a: str, b: str) -> bool:
        return a == b or frozenset((a, b)) in self.same

    def verified_among(self, person_ids: Collection[str]) -> frozenset[str]:
        return frozenset(p for p in person_ids if self.verified(p))

    def same_person_among(self, person_id: str, others: Collection[str]) -> frozenset[str]:
        return frozenset(o for o in others if self.same_person(person_id, o))


@dataclass
class Market:
    container: Container
    market: MarketService
    origination: OriginationService
    people: FakeInvestorIdentity
    borrowers: OriginationWorld

    def investor(self, investor_id: str, cash: int = 0) -> str:
        self.people.verified_ids.add(investor_id)
        self.market.wallets.register(investor_id, agreement_version="investor/v1", net_worth=yuan(10_000_000))
        if cash:
            self.market.wallets.deposit(investor_id, yuan(cash))
        return investor_id

    def offer(self, borrower_id: str = "brw_solid", amount: int = 10_000, *, partial_ok: bool = False) -> str:
        """A fake borrower applies and accepts; returns the listing (or, retail off, the offer's loan)."""
        solid_borrower(self.borrowers, borrower_id)
        app = self.origination.apply(borrower_id, yuan(amount), 12, inquiry_disclosure_acknowledged=True)
        assert app.offer_id, app
        accepted = self.origination.accept(borrower_id, app.offer_id, agreed=True, partial_ok=partial_ok)
        found = accepted.loan_id or accepted.listing_id
        assert found
        return found

    def fund(self, listing: str, stakes: dict[str, int]) -> str:
        """Each investor invests their stake (yuan) in the listing, which books when full; returns the loan."""
        loan_id = None
        for investor, stake in stakes.items():
            loan_id = self.market.commitments.invest(investor, listing, yuan(stake)).loan_id or loan_id
        assert loan_id, "the stakes did not fill the listing"
        return loan_id


def build(
    container: Container,
    profile: Profile | None = None,
    rail: PaymentRail | None = None,
    loans: NoteLoans | None = None,
) -> Market:
    profile = profile or p2p(container.profile)
    people = FakeInvestorIdentity()
    offers = OriginationOffers()
    market = MarketService(
        container.uow,
        container.ledger,
        profile,
        container.lending,
        rail or DevRail(),
        people,
        offers,
        PERSONAL_LOAN,
        loans,
    )
    today = container.clock.business_date()
    identity, bureau = FakeIdentity(), FakeBureau(today)
    assert container.scoring is not None
    origination = OriginationService(
        container.uow,
        container.clock,
        profile,
        container.scoring,
        identity,
        bureau,
        LendingAdapter(container.lending, profile.currency),
        funding=market.funding,
    )
    offers.origination = origination
    container.market = market
    container.origination = origination
    container.verifiers["market"] = market.verify
    container.verifiers["origination"] = origination.verify
    borrowers = OriginationWorld(origination, identity, bureau, None, today)  # type: ignore[arg-type]
    return Market(container, market, origination, people, borrowers)


def race(calls: list[Callable[[], object]]) -> Counter[str]:
    """Run the calls at once (a barrier releases them together); count how each ended: "ok" or its code."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
