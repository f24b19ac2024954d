"""MK-4 (ECSP) switched on by a test profile: entry test, large-investment warning, reflection and revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import DomainError
from fairlend.market.model import CommitmentStatus, ListingStatus
from tests.market.autoinvest_support import rule_terms
from tests.market.ecsp_support import RIGHT_ANSWERS, RISK_WARNING, ecsp, passed_investor
from tests.market.support import Market, build, yuan


def _later(clock: FixedClock, days: int) -> None:
    clock.advance(timedelta(days=days))
    clock.set_business_date(clock.business_date() + timedelta(days=days))


def _state(world: Market, listing: str, investor: str) -> tuple[object, ...]:
    m = world.market
    return (m.listings.get(listing).funded, m.wallets.wallet(investor), len(m.commitments.of_investor(investor)))


def _refused(code: str, call: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    assert refused.value.code == code, refused.value
    return refused.value


# -- the entry test (art. 21) -----------------------------------------------------------------------


def test_an_investor_without_a_passed_entry_test_cannot_invest_and_nothing_is_written(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    ann = world.investor("inv_ann", cash=5_000)
    before = _state(world, listing, ann)
    refused = _refused("entry_test_required", world.market.commitments.invest, ann, listing, yuan(100))
    assert refused.extra["rule"] == "MK-4" and "MK-4" in refused.detail
    failed = {**RIGHT_ANSWERS, "loss": "nothing", "guarantee": "the_platform"}
    result = world.market.safeguards.take_entry_test(
        ann, failed, yearly_income=yuan(0), liquid_assets=yuan(1_000), yearly_commitments=yuan(0)
    )
    assert not result.passed and result.score == 3 and set(result.wrong) == {"loss", "guarantee"}
    _refused("entry_test_required", world.market.commitments.invest, ann, listing, yuan(100))
    assert _state(world, listing, ann) == before


def test_a_passed_test_stores_the_score_and_the_loss_simulation_and_lets_the_investor_invest(
    container: Container,
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    ann = world.investor("inv_ann", cash=5_000)
    result = world.market.safeguards.take_entry_test(
        ann, RIGHT_ANSWERS, yearly_income=yuan(60_000), liquid_assets=yuan(40_000), yearly_commitments=yuan(20_000)
    )
    assert result.passed and result.net_worth == yuan(80_000) and result.loss_capacity == yuan(8_000)
    stored = world.market.safeguards.entry_test(ann)
    assert stored is not None and stored.passed and stored.score == 5 and stored.loss_capacity == yuan(8_000)
    made = world.market.commitments.invest(ann, listing, yuan(500))
    assert made.status is CommitmentStatus.RESERVED


def test_the_test_is_for_investors_who_accepted_the_agreement(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    _refused(
        "investor_agreement_required",
        world.market.safeguards.take_entry_test,
        "inv_nobody",
        RIGHT_ANSWERS,
        yearly_income=yuan(0),
        liquid_assets=yuan(0),
        yearly_commitments=yuan(0),
    )


def test_without_ecsp_no_test_is_asked(container: Container) -> None:
    world = build(container)
    listing = world.offer()
    ann = world.investor("inv_ann", cash=5_000)
    assert world.market.commitments.invest(ann, listing, yuan(2_000)).amount == yuan(2_000)


def test_auto_invest_skips_investors_without_a_passed_test(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    world.investor("inv_ann", cash=5_000)
    world.market.autoinvest.rules.create("inv_ann", rule_terms(200))
    passed_investor(world, "inv_bob", cash=5_000)
    world.market.autoinvest.rules.create("inv_bob", rule_terms(200))
    listing = world.offer()
    assert world.market.commitments.of_investor("inv_ann") == []
    assert sum(c.amount.minor for c in world.market.commitments.of_investor("inv_bob")) > 0
    assert world.market.listings.get(listing).status is ListingStatus.OPEN


# -- the large-investment warning (art. 21(7)) ------------------------------------------------------


def test_up_to_the_limit_passes_one_note_more_needs_the_acknowledgement(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    ann = passed_investor(world, "inv_ann", cash=5_000)  # net worth ¥100,000: 5 % is ¥5,000, the ¥1,000 is lower
    world.market.commitments.invest(ann, listing, yuan(600))
    world.market.commitments.invest(ann, listing, yuan(400))  # exactly ¥1,000 in this listing
    before = _state(world, listing, ann)
    refused = _refused("large_investment_warning", world.market.commitments.invest, ann, listing, yuan(50))
    assert refused.extra["rules"] == ["MK-4"] and RISK_WARNING in refused.detail
    assert _state(world, listing, ann) == before
    world.market.commitments.invest(ann, listing, yuan(50), acknowledged_risk=True)
    assert world.market.wallets.wallet(ann).committed == yuan(1_050)


def test_the_share_of_net_worth_is_the_limit_when_it_is_lower(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    ann = passed_investor(world, "inv_ann", cash=5_000, liquid=10_000)  # 5 % of ¥10,000 = ¥500
    world.market.commitments.invest(ann, listing, yuan(500))
    _refused("large_investment_warning", world.market.commitments.invest, ann, listing, yuan(50))
    other = world.offer("brw_other")
    world.market.commitments.invest(ann, other, yuan(500))  # per listing: another project has its own limit


def test_auto_invest_never_goes_above_the_warning_limit(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    passed_investor(world, "inv_ann", cash=5_000)
    world.market.autoinvest.rules.create("inv_ann", rule_terms(300))
    world.offer()
    invested = sum(c.amount.minor for c in world.market.commitments.of_investor("inv_ann"))
    assert invested == yuan(900).minor  # three turns of ¥300; a fourth would pass ¥1,000


# -- reflection and revocation (art. 22) ------------------------------------------------------------


def test_an_investment_revoked_within_four_days_releases_the_cash_and_the_listing(
    container: Container, clock: FixedClock
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    ann = passed_investor(world, "inv_ann", cash=5_000)
    made = world.market.commitments.invest(ann, listing, yuan(800))
    _later(clock, 4)
    world.market.commitments.revoke(ann, made.id)
    assert world.market.wallets.wallet(ann).committed == yuan(0)
    assert world.market.wallets.wallet(ann).cash == yuan(5_000)
    assert world.market.listings.get(listing).funded == yuan(0)
    assert [c.status for c in world.market.commitments.of_investor(ann)] == [CommitmentStatus.REVOKED]
    _refused("commitment_not_revocable", world.market.commitments.revoke, ann, made.id)
    assert container.verify() == []


def test_on_the_fifth_day_the_revocation_is_refused(container: Container, clock: FixedClock) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    ann = passed_investor(world, "inv_ann", cash=5_000)
    made = world.market.commitments.invest(ann, listing, yuan(800))
    _later(clock, 5)
    before = _state(world, listing, ann)
    refused = _refused("reflection_period_over", world.market.commitments.revoke, ann, made.id)
    assert refused.extra["rules"] == ["MK-4"]
    assert _state(world, listing, ann) == before


def test_nobody_revokes_another_investors_commitment_nor_one_without_ecsp(container: Container) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    ann = passed_investor(world, "inv_ann", cash=5_000)
    bob = passed_investor(world, "inv_bob", cash=5_000)
    made = world.market.commitments.invest(ann, listing, yuan(800))
    _refused("commitment_not_found", world.market.commitments.revoke, bob, made.id)
    plain = build(container)
    _refused("no_reflection_period", plain.market.commitments.revoke, ann, made.id)


def _fill(world: Market, listing: str, n: int = 10) -> list[str]:
    investors = [passed_investor(world, f"inv_{i}", cash=2_000) for i in range(n)]
    made = [world.market.commitments.invest(i, listing, yuan(1_000)).id for i in investors]
    return made


def test_a_full_listing_waits_for_every_reflection_period_then_end_of_day_funds_it(
    container: Container, clock: FixedClock
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    _fill(world, listing)
    view = world.market.listings.get(listing)
    assert view.status is ListingStatus.OPEN and view.funded == yuan(10_000) and view.loan_id is None
    _later(clock, 3)
    assert world.market.funding.deadline().originated == ()
    _later(clock, 1)  # the end of the fourth day after: every period has passed
    report = world.market.funding.deadline()
    assert report.originated == (listing,)
    view = world.market.listings.get(listing)
    assert view.status is ListingStatus.FUNDED and view.loan_id
    assert sum(n.principal.minor for n in world.market.notes.of_loan(view.loan_id)) == yuan(10_000).minor
    assert world.market.wallets.wallet("inv_0").cash == yuan(1_000)
    assert container.verify() == []


def test_a_revocation_reopens_a_full_listing_and_a_later_investment_restarts_the_wait(
    container: Container, clock: FixedClock
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    made = _fill(world, listing)
    _later(clock, 2)
    world.market.commitments.revoke("inv_3", made[3])
    assert world.market.listings.get(listing).funded == yuan(9_000)
    late = passed_investor(world, "inv_late", cash=2_000)
    world.market.commitments.invest(late, listing, yuan(1_000))
    _later(clock, 2)
    assert world.market.funding.deadline().originated == ()  # the late commitment still reflects
    _later(clock, 2)
    assert world.market.funding.deadline().originated == (listing,)
    assert world.market.wallets.wallet("inv_3").cash == yuan(2_000)
    assert container.verify() == []


def test_a_listing_at_its_deadline_with_a_commitment_still_reflecting_is_decided_after_the_period(
    container: Container, clock: FixedClock
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()  # cancelled at its deadline if under the threshold: it takes no partial funding
    deadline = world.market.listings.get(listing).deadline
    _later(clock, (deadline - clock.business_date()).days)
    ann = passed_investor(world, "inv_ann", cash=5_000)
    world.market.commitments.invest(ann, listing, yuan(500))  # on its last day
    assert world.market.funding.deadline().cancelled == ()  # ann may still revoke: nothing decided
    assert world.market.listings.get(listing).status is ListingStatus.OPEN
    _later(clock, 4)
    assert world.market.funding.deadline().cancelled == (listing,)
    assert world.market.wallets.wallet(ann).committed == yuan(0)
    assert container.verify() == []
