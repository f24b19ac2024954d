"""Eight investors racing for one listing never over-fund it nor overdraw a wallet."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.market.model import ListingStatus
from tests.market.support import build, yuan

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
