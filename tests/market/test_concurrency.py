"""Eight investors racing for one listing never over-fund it nor overdraw a wallet."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.market.model import ListingStatus
from tests.market.support import build, p2p, yuan

ALLOWED = {"over_remainder", "listing_not_open", "insufficient_cash"}


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_eight_investors_racing_for_one_listing_fund_it_exactly_once(container: Container) -> None:
    world = build(container)
    listing = world.offer(amount=10_000)
    investors = [world.investor(f"inv_{n}", cash=3_000) for n in range(8)]
    outcomes: Counter[str] = Counter()
    loans: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(investors))

    def run(investor_id: str) -> None:
        start.wait()
        for _ in range(7):
            try:
                done = world.market.commitments.invest(investor_id, listing, yuan(500))
            except DomainError as exc:
                with lock:
                    outcomes[exc.code] += 1
                continue
            with lock:
                outcomes["ok"] += 1
                if done.loan_id:
                    loans.append(done.loan_id)

    threads = [threading.Thread(target=run, args=(i,)) for i in investors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(outcomes) - {"ok"} <= ALLOWED, outcomes
    assert outcomes["ok"] == 20  # ¥10,000 in ¥500 steps, never one more
    view = world.market.listings.get(listing)
    assert view.status is ListingStatus.FUNDED and view.funded == yuan(10_000)
    assert len(loans) == 1 and view.loan_id == loans[0]
    notes = world.market.notes.of_loan(loans[0])
    assert sum(n.principal.minor for n in notes) == yuan(10_000).minor
    for investor_id in investors:
        wallet = world.market.wallets.wallet(investor_id)
        assert wallet.cash.minor >= 0 and wallet.committed.minor == 0
    assert container.verify() == []


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_one_investor_investing_twice_at_once_never_passes_the_suitability_limit(container: Container) -> None:
    # MK-5: 10 % of a stated ¥20,000 net worth is ¥2,000. Each of the eight ¥500 investments fits alone;
    # only four fit together, however they race.
    base = p2p(container.profile)
    rules = replace(base.marketplace.investors, suitability_share=Decimal("0.10"))
    world = build(container, replace(base, marketplace=replace(base.marketplace, investors=rules)))
    listings = [world.offer(f"brw_{n}", amount=5_000) for n in range(2)]
    world.investor("inv_1", cash=10_000)
    world.market.wallets.register("inv_1", agreement_version="investor/v1", net_worth=yuan(20_000))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(8)

    def run(n: int) -> None:
        start.wait()
        try:
            world.market.commitments.invest("inv_1", listings[n % 2], yuan(500))
        except DomainError as exc:
            with lock:
                outcomes[exc.code] += 1
            return
        with lock:
            outcomes["ok"] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == Counter({"ok": 4, "suitability_limit": 4}), outcomes
    assert world.market.wallets.wallet("inv_1").committed == yuan(2_000)


@pytest.mark.backends("postgresql")
@pytest.mark.slow
def test_two_listings_completing_at_once_with_the_same_investors_do_not_deadlock(container: Container) -> None:
    # Each completing investment originates its listing: it moves both investors' wallets and ledger rows.
    world = build(container)
    for round_ in range(3):
        a, b = world.offer(f"brw_a{round_}", amount=1_000), world.offer(f"brw_b{round_}", amount=1_000)
        x, y = world.investor(f"inv_x{round_}", cash=1_000), world.investor(f"inv_y{round_}", cash=1_000)
        world.market.commitments.invest(x, a, yuan(500))
        world.market.commitments.invest(y, b, yuan(500))
        failures: list[BaseException] = []
        start = threading.Barrier(2)

        def complete(
            investor_id: str, listing_id: str, start: threading.Barrier, failures: list[BaseException]
        ) -> None:
            start.wait()
            try:
                world.market.commitments.invest(investor_id, listing_id, yuan(500))
            except BaseException as exc:  # a deadlock is not a DomainError: keep whatever it is
                failures.append(exc)

        threads = [threading.Thread(target=complete, args=(*args, start, failures)) for args in ((y, a), (x, b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert {world.market.listings.get(i).status for i in (a, b)} == {ListingStatus.FUNDED}
    assert container.verify() == []


@pytest.mark.backends("postgresql", "sqlite")
def test_two_accepts_of_one_offer_at_once_list_it_once_and_the_other_is_told_why(container: Container) -> None:
    from tests.origination.support import solid_borrower

    world = build(container)
    solid_borrower(world.borrowers, "brw_twice")
    app = world.origination.apply("brw_twice", yuan(10_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.offer_id
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def accept() -> None:
        start.wait()
        try:
            world.origination.accept("brw_twice", app.offer_id or "", agreed=True)
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["offer_not_open", "ok"]
    assert len(world.market.listings.browse()) == 1
