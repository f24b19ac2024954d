"""MK-4's revocation racing investments and end-of-day: never over-funded, no cash lost, one outcome each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.market.model import CommitmentStatus, ListingStatus
from fairlend.market.tables import market_commitment
from tests.market.ecsp_support import ecsp, passed_investor
from tests.market.support import Market, build, race, yuan


def _reserved(world: Market, listing: str) -> int:
    with world.container.uow(read_only=True) as uow:
        total = uow.conn.execute(
            select(func.coalesce(func.sum(market_commitment.c.amount_minor), 0)).where(
                market_commitment.c.listing_id == listing,
                market_commitment.c.status == CommitmentStatus.RESERVED.value,
            )
        ).scalar()
    return int(total or 0)


def _nine_of_ten(world: Market, listing: str) -> list[str]:
    investors = [passed_investor(world, f"inv_{i}", cash=2_000) for i in range(9)]
    return [world.market.commitments.invest(i, listing, yuan(1_000)).id for i in investors]


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_a_revocation_racing_two_investments_for_the_last_place_never_over_funds(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer(amount=10_000)
    made = _nine_of_ten(world, listing)
    racers = [passed_investor(world, f"inv_r{n}", cash=2_000) for n in range(2)]
    calls: list[Callable[[], object]] = [lambda: world.market.commitments.revoke("inv_0", made[0])]
    calls += [lambda r=r: world.market.commitments.invest(r, listing, yuan(1_000)) for r in racers]  # type: ignore[misc]
    outcomes = race(calls)
    assert set(outcomes) - {"ok"} <= {"over_remainder"}, outcomes
    view = world.market.listings.get(listing)
    assert view.funded.minor == _reserved(world, listing) <= yuan(10_000).minor
    assert view.status is ListingStatus.OPEN  # filled or not, it waits for the reflection periods
    assert world.market.wallets.wallet("inv_0").committed == yuan(0)
    assert container.verify() == []


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_a_revocation_racing_end_of_day_either_reopens_the_listing_or_is_refused(
    container: Container, clock: FixedClock
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer(amount=10_000)
    made = _nine_of_ten(world, listing)
    world.market.commitments.invest(passed_investor(world, "inv_9", cash=2_000), listing, yuan(1_000))
    clock.advance(timedelta(days=4))
    clock.set_business_date(clock.business_date() + timedelta(days=4))
    outcomes = race(
        [lambda: world.market.commitments.revoke("inv_0", made[0]), lambda: world.market.funding.deadline()]
    )
    view = world.market.listings.get(listing)
    if view.status is ListingStatus.FUNDED:  # end-of-day first: the revocation found no open listing
        assert outcomes == Counter({"ok": 1, "commitment_not_revocable": 1}), outcomes
        assert world.market.wallets.wallet("inv_0").cash == yuan(1_000)
    else:  # the revocation first: the listing lacks ¥1,000 and stays open
        assert outcomes == Counter({"ok": 2}), outcomes
        assert view.funded == yuan(9_000) and world.market.wallets.wallet("inv_0").cash == yuan(2_000)
    assert world.market.wallets.wallet("inv_0").committed == yuan(0)
    assert container.verify() == []


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_one_investor_investing_twice_at_once_never_slips_past_the_warning(container: Container) -> None:
    # ¥600 fits under the ¥1,000 limit alone; two at once would be ¥1,200: the wallet's lock lets only one through.
    world = build(container, ecsp(container.profile))
    listing = world.offer(amount=10_000)
    passed_investor(world, "inv_1", cash=5_000)
    outcomes = race([lambda: world.market.commitments.invest("inv_1", listing, yuan(600)) for _ in range(2)])
    assert outcomes == Counter({"ok": 1, "large_investment_warning": 1}), outcomes
    assert world.market.listings.get(listing).funded == yuan(600)
    assert world.market.wallets.wallet("inv_1").committed == yuan(600)
    assert container.verify() == []
