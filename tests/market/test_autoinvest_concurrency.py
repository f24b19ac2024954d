"""Auto-invest racing manual investors, other sweeps and new listings never over-funds, overdraws or breaks a rule."""

from __future__ import annotations

import threading
from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.market.autoinvest_model import borrower_cap
from fairlend.market.model import ListingStatus
from fairlend.market.tables import market_autoinvest_investment, market_listing
from tests.market.autoinvest_support import auto_investor
from tests.market.support import build, yuan

ALLOWED = {"over_remainder", "listing_not_open", "insufficient_cash"}
AUTO = {f"inv_auto{n}": 1_500 + 300 * n for n in range(6)}  # cash
RESERVE, SHARE = 300, Decimal("0.3")


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_auto_invest_racing_manual_investors_and_itself_never_overfunds_or_overdraws(container: Container) -> None:
    world = build(container)
    world.market.funding.when_listed.clear()  # the first listings open with nobody served yet
    listings = [world.offer(f"brw_{n}", amount=1_000 + 500 * (n % 3)) for n in range(6)]
    world.market.funding.when_listed.append(world.market.autoinvest.after_listing_opened)
    for investor_id, cash in AUTO.items():
        auto_investor(world, investor_id, cash=cash, amount=100, reserve=yuan(RESERVE), borrower_share=SHARE)
    manual = [world.investor(f"inv_hand{n}", cash=2_000) for n in range(4)]
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(manual) + 3)

    def by_hand(n: int, investor_id: str) -> None:
        start.wait()
        for k in range(12):
            try:
                world.market.commitments.invest(investor_id, listings[(n + k) % len(listings)], yuan(100))
                code = "ok"
            except DomainError as exc:
                code = exc.code
            with lock:
                outcomes[code] += 1

    def sweeping() -> None:
        start.wait()
        for _ in range(3):
            world.market.autoinvest.sweep()

    def opening() -> None:
        start.wait()
        for n in range(2):
            world.offer(f"brw_new{n}", amount=1_500)  # served just after each acceptance commits

    threads = [threading.Thread(target=by_hand, args=(n, i)) for n, i in enumerate(manual)]
    threads += [threading.Thread(target=sweeping) for _ in range(2)] + [threading.Thread(target=opening)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert set(outcomes) - {"ok"} <= ALLOWED, outcomes
    assert outcomes["ok"] > 0
    with container.engine.connect() as conn:
        rows = conn.execute(sa.select(market_listing)).all()
        made = conn.execute(sa.select(market_autoinvest_investment)).all()
    assert len(rows) == 8
    for row in rows:
        assert 0 <= row.funded_minor <= row.amount_minor
    assert sum(1 for r in rows if r.status == ListingStatus.FUNDED.value) >= 1
    # The rotation ran one pass at a time: its turn numbers are one sequence, no gap, no repeat.
    assert made and max(r.last_turn for r in made) == sum(r.turns for r in made)
    for investor_id, deposited in AUTO.items():
        wallet = world.market.wallets.wallet(investor_id)
        assert wallet.cash.minor >= wallet.committed.minor >= 0
        assert wallet.available >= yuan(RESERVE)  # auto-invest never touched the reserve
        # Nothing was repaid: the portfolio is still what was deposited, so each borrower's part is capped by it.
        cap = borrower_cap(SHARE, yuan(deposited).minor, 0)
        per_listing: Counter[str] = Counter()
        for r in made:
            if r.investor_id == investor_id:
                per_listing[r.listing_id] += r.amount_minor
        assert all(total <= cap for total in per_listing.values()), per_listing
    for investor_id in manual:
        wallet = world.market.wallets.wallet(investor_id)
        assert wallet.cash.minor >= wallet.committed.minor >= 0
    assert container.verify() == []
