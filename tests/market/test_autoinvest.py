"""Auto-invest: rules checked whole, listings served in a fair rotation that persists, every guard of investing held."""

from __future__ import annotations

import logging
import shutil
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.errors import DomainError
from fairlend.market.autoinvest_model import MAX_RULES_PER_INVESTOR
from fairlend.market.commitment import Reservation
from fairlend.market.model import ListingStatus
from fairlend.market.tables import market_autoinvest_cursor, market_autoinvest_rule
from tests.market.autoinvest_support import auto_investor, record_passes, rule_terms, served, turns_at
from tests.market.support import Market, build, p2p, yuan


def _rows(container: Container, table: sa.Table) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)


def _code(call: object) -> str:
    with pytest.raises(DomainError) as refused:
        call()  # type: ignore[operator]
    return refused.value.code


# -- rules ----------------------------------------------------------------------------------------


def test_a_bad_rule_is_refused_with_its_code_and_nothing_is_written(container: Container) -> None:
    world = build(container)
    world.investor("inv_a", cash=1_000)
    rules = world.market.autoinvest.rules
    assert _code(lambda: rules.create("inv_a", rule_terms(75))) == "not_multiple_of_note"
    assert _code(lambda: rules.create("inv_a", rule_terms(grades=()))) == "autoinvest_grades_invalid"
    assert _code(lambda: rules.create("inv_a", rule_terms(reserve=yuan(-5)))) == "autoinvest_reserve_invalid"
    assert _code(lambda: rules.create("inv_stranger", rule_terms())) == "investor_agreement_required"
    world.market.wallets.register("inv_unverified", agreement_version="investor/v1", net_worth=yuan(1_000_000))
    assert _code(lambda: rules.create("inv_unverified", rule_terms())) == "investor_not_verified"
    assert _rows(container, market_autoinvest_rule) == 0
    made = rules.create("inv_a", rule_terms())
    assert _code(lambda: rules.update("inv_a", made.id, rule_terms(min_rate=Decimal("0.3")))) == (
        "autoinvest_rate_range_invalid"
    )
    assert rules.get("inv_a", made.id).terms == made.terms


def test_an_investor_reads_changes_and_deletes_only_their_own_rules_up_to_the_limit(container: Container) -> None:
    world = build(container)
    world.investor("inv_a", cash=1_000)
    world.investor("inv_b", cash=1_000)
    rules = world.market.autoinvest.rules
    mine = rules.create("inv_a", rule_terms())
    assert _code(lambda: rules.get("inv_b", mine.id)) == "autoinvest_rule_not_found"
    assert _code(lambda: rules.update("inv_b", mine.id, rule_terms())) == "autoinvest_rule_not_found"
    assert _code(lambda: rules.delete("inv_b", mine.id)) == "autoinvest_rule_not_found"
    changed = rules.update("inv_a", mine.id, rule_terms(400, enabled=False, grades=("b2", "A")))
    assert (
        changed.terms.enabled is False and changed.terms.grades == ("A", "B2") and changed.created_at == mine.created_at
    )
    for _ in range(MAX_RULES_PER_INVESTOR - 1):
        rules.create("inv_a", rule_terms())
    assert _code(lambda: rules.create("inv_a", rule_terms())) == "autoinvest_rules_limit"
    rules.delete("inv_a", mine.id)
    assert mine.id not in [r.id for r in rules.of_investor("inv_a")]
    assert rules.of_investor("inv_b") == []


def test_rules_are_refused_where_retail_investing_is_off(container: Container) -> None:
    world = build(container, profile=container.profile)  # cn: retail off (MK-1)
    assert _code(lambda: world.market.autoinvest.rules.create("inv_a", rule_terms())) == "retail_marketplace_off"
    loan_id = world.offer()  # booked at once for the platform and its partner; nothing to serve
    assert loan_id.startswith("loan") and world.market.autoinvest.sweep().passes == ()


# -- the rotation -----------------------------------------------------------------------------------


def test_listings_serve_each_investor_in_turn_and_the_next_listing_starts_where_the_last_left_off(
    container: Container,
) -> None:
    world = build(container)
    reports = record_passes(world)
    for name in ("inv_ann", "inv_bob", "inv_cy"):
        auto_investor(world, name, cash=5_000)
    # Funded at once by auto-invest: the offer comes back accepted, with its loan.
    loan_id = world.offer("brw_1", amount=1_000)
    assert served(reports[-1]) == [(1, "inv_ann", 200), (2, "inv_bob", 200), (3, "inv_cy", 200), (4, "inv_ann", 200),
                                   (5, "inv_bob", 200)]  # fmt: skip
    assert reports[-1].loan_id == loan_id
    assert world.market.listings.get(reports[-1].listing_id).status is ListingStatus.FUNDED
    world.offer("brw_2", amount=1_000)
    assert [i for _, i, _ in served(reports[-1])] == ["inv_cy", "inv_ann", "inv_bob", "inv_cy", "inv_ann"]
    world.offer("brw_3", amount=1_000)
    assert [i for _, i, _ in served(reports[-1])] == ["inv_bob", "inv_cy", "inv_ann", "inv_bob", "inv_cy"]
    # Over three listings, fifteen turns: five each, numbered as one sequence.
    numbers = [n for r in reports for n, _, _ in served(r)]
    assert numbers == list(range(1, 16))
    with container.engine.connect() as conn:
        cursors = {
            r.investor_id: r.last_turn
            for r in conn.execute(
                sa.select(market_autoinvest_cursor.c.investor_id, market_autoinvest_cursor.c.last_turn)
            )
        }
    assert cursors == {"inv_ann": 13, "inv_bob": 14, "inv_cy": 15}
    for name in ("inv_ann", "inv_bob", "inv_cy"):
        assert world.market.wallets.wallet(name).cash == yuan(4_000)
    assert container.verify() == []


@pytest.mark.backends("sqlite")
def test_the_same_book_gives_the_same_allocation_in_another_database(
    container: Container, sqlite_template: Path, tmp_path: Path, clock: FixedClock
) -> None:
    def run(world: Market) -> list[list[tuple[int, str, int]]]:
        reports = record_passes(world)
        auto_investor(world, "inv_c", cash=900, amount=100)
        auto_investor(world, "inv_a", cash=5_000, amount=300, reserve=yuan(1_000))
        auto_investor(world, "inv_b", cash=2_000, amount=200, borrower_share=Decimal("0.2"))
        for n, amount in enumerate((2_000, 1_500, 3_000)):
            world.offer(f"brw_{n}", amount=amount)
        return [served(r) for r in reports]

    path = tmp_path / "twin.db"
    shutil.copyfile(sqlite_template, path)
    twin = bootstrap(Settings(environment="test", database_url=f"sqlite:///{path}", data_dir=tmp_path), clock=clock)
    try:
        here, there = run(build(container)), run(build(twin))
    finally:
        twin.close()
    assert here == there and sum(len(r) for r in here) > 10


# -- the guards -----------------------------------------------------------------------------------


def test_auto_invest_keeps_the_cash_reserve_and_stays_within_the_share_in_one_borrower(container: Container) -> None:
    world = build(container)
    reports = record_passes(world)
    auto_investor(world, "inv_reserve", cash=1_000, amount=200, reserve=yuan(550))  # ¥450 free: two turns
    auto_investor(world, "inv_share", cash=4_000, amount=200, borrower_share=Decimal("0.15"))  # ¥600 of ¥4,000
    auto_investor(world, "inv_plenty", cash=10_000, amount=200)
    world.offer(amount=3_000)
    assert dict(turns_at(world, reports[-1].listing_id)) == {
        "inv_plenty": 2_000,
        "inv_reserve": 400,
        "inv_share": 600,
    }
    assert world.market.wallets.wallet("inv_reserve").cash == yuan(600)  # funded: ¥400 left it, ¥550 kept
    assert container.verify() == []


def test_the_borrower_share_counts_the_notes_already_held_everywhere_and_with_that_borrower(
    container: Container,
) -> None:
    world = build(container)
    reports = record_passes(world)
    world.investor("inv_share", cash=5_000)
    world.investor("inv_fill", cash=20_000)
    world.fund(world.offer("brw_a", amount=1_000), {"inv_share": 1_000})
    world.fund(world.offer("brw_b", amount=3_000), {"inv_share": 2_000, "inv_fill": 1_000})
    # ¥2,000 cash and ¥3,000 in notes: 20 % of the portfolio is ¥1,000, all of it already with brw_a.
    grades = ("A", "B")  # a borrower's second application grades lower (its inquiries)
    world.market.autoinvest.rules.create("inv_share", rule_terms(100, grades=grades, borrower_share=Decimal("0.2")))
    world.market.autoinvest.rules.create("inv_fill", rule_terms(500, grades=grades))
    world.offer("brw_a", amount=2_000)
    assert dict(turns_at(world, reports[-1].listing_id)) == {"inv_fill": 2_000}
    world.offer("brw_c", amount=8_000)  # ¥100 turns stop at ¥1,000; the rest is inv_fill's
    assert dict(turns_at(world, reports[-1].listing_id)) == {"inv_fill": 7_000, "inv_share": 1_000}
    assert container.verify() == []


def test_the_reserve_and_the_borrower_share_bite_in_the_conditional_update_itself(container: Container) -> None:
    world = build(container)
    listing = world.offer(amount=2_000)
    world.investor("inv_a", cash=1_000)
    commitments = world.market.commitments

    def reserve(amount: int, **guard: object) -> None:
        with container.uow() as uow:
            commitments.grow(uow, listing, yuan(amount))
            commitments.reserve(uow, "inv_a", listing, yuan(amount), None, **guard)  # type: ignore[arg-type]
            uow.commit()

    assert _code(lambda: reserve(300, keep=yuan(800))) == "autoinvest_cash_reserve"
    assert _code(lambda: reserve(300, borrower_share=Decimal("0.25"))) == "autoinvest_borrower_share"
    assert _code(lambda: reserve(1_050)) == "insufficient_cash"
    assert world.market.listings.get(listing).funded == yuan(0)  # the listing's growth rolled back with each
    reserve(250, keep=yuan(750), borrower_share=Decimal("0.25"))
    assert world.market.wallets.wallet("inv_a").committed == yuan(250)


def test_no_investor_is_served_their_own_loan_without_cash_or_unverified(container: Container) -> None:
    world = build(container)
    reports = record_passes(world)
    auto_investor(world, "inv_self", cash=5_000)
    world.people.same.add(frozenset({"inv_self", "brw_self"}))
    auto_investor(world, "inv_poor", cash=150)  # less than one ¥200 turn
    auto_investor(world, "inv_gone", cash=5_000)
    world.people.verified_ids.discard("inv_gone")
    auto_investor(world, "inv_ok", cash=600)
    world.offer("brw_self", amount=1_000)
    assert {i for _, i, _ in served(reports[-1])} == {"inv_ok"}
    assert world.market.wallets.wallet("inv_ok").committed == yuan(600)
    for name in ("inv_self", "inv_poor", "inv_gone"):
        assert world.market.wallets.wallet(name).committed == yuan(0)
    # Passed over, not served: they keep their place (no cursor) for the next listing.
    with container.engine.connect() as conn:
        assert [r[0] for r in conn.execute(sa.select(market_autoinvest_cursor.c.investor_id))] == ["inv_ok"]


def test_a_disabled_or_non_matching_rule_invests_nothing(container: Container) -> None:
    world = build(container)
    auto_investor(world, "inv_off", cash=5_000, enabled=False)
    auto_investor(world, "inv_b_only", cash=5_000, grades=("B",))
    auto_investor(world, "inv_long", cash=5_000, terms=(24, 36))
    auto_investor(world, "inv_rich", cash=5_000, min_rate=Decimal("0.2"))
    listing = world.offer(amount=1_000)
    assert world.market.listings.get(listing).funded == yuan(0)


def test_auto_invest_completing_a_listing_funds_the_loan_as_a_manual_investment_would(container: Container) -> None:
    world = build(container)
    reports = record_passes(world)
    world.investor("inv_hand", cash=2_000)
    auto_investor(world, "inv_auto", cash=2_000, amount=500)
    world.people.verified_ids.discard("inv_auto")  # not yet: the listing opens to the hand investor first
    listing = world.offer(amount=1_500)
    assert reports[-1].turns == ()
    world.market.commitments.invest("inv_hand", listing, yuan(500))
    world.people.verified_ids.add("inv_auto")
    swept = world.market.autoinvest.sweep()
    assert swept.funded == 1 and swept.turns == 2
    loan_id = swept.passes[0].loan_id
    assert loan_id and world.market.listings.get(listing).loan_id == loan_id
    notes = world.market.notes.of_loan(loan_id)
    assert [(n.holder_id, n.principal) for n in notes] == [("inv_auto", yuan(1_000)), ("inv_hand", yuan(500))]
    assert container.lending.loan_detail(loan_id).principal == yuan(1_500)
    assert world.market.wallets.wallet("inv_auto").cash == yuan(1_000)
    assert world.market.wallets.wallet("inv_auto").committed == yuan(0)
    assert [c.status.value for c in world.market.commitments.of_investor("inv_hand")] == ["funded"]
    assert world.market.autoinvest.sweep().passes == ()  # nothing open: nothing to do
    assert container.verify() == []


def test_an_acceptance_stands_when_auto_invest_fails_and_the_next_sweep_serves_its_listing(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    world = build(container)
    auto_investor(world, "inv_a", cash=5_000, amount=500)
    real = world.market.autoinvest.serve
    world.market.autoinvest.serve = lambda listing_id: (_ for _ in ()).throw(RuntimeError("boom"))  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="fairlend.market"):
        listing = world.offer(amount=1_000)
    assert "next sweep serves it" in caplog.text
    view = world.market.listings.get(listing)
    assert view.status is ListingStatus.OPEN and view.funded == yuan(0)
    world.market.autoinvest.serve = real  # type: ignore[method-assign]
    assert world.market.autoinvest.sweep().funded == 1
    assert world.market.listings.get(listing).status is ListingStatus.FUNDED


def test_end_of_day_sweeps_open_listings_when_new_cash_arrives(container: Container, clock: FixedClock) -> None:
    world = build(container)
    auto_investor(world, "inv_a", cash=100, amount=500)
    listing = world.offer(amount=1_000)
    assert world.market.listings.get(listing).funded == yuan(0)
    world.market.wallets.deposit("inv_a", yuan(600))
    result = container.eod.run()[0]
    assert result.counts["after:market_autoinvest"] == 1
    assert world.market.listings.get(listing).funded == yuan(500)


def test_a_listing_past_its_deadline_or_closed_is_not_served(container: Container, clock: FixedClock) -> None:
    base = p2p(container.profile)
    world = build(container, replace(base, marketplace=replace(base.marketplace, listing_days=0)))
    listing = world.offer(amount=1_000)
    auto_investor(world, "inv_a", cash=5_000, amount=500)
    clock.set_business_date(clock.business_date() + timedelta(days=1))
    assert world.market.autoinvest.serve(listing).turns == ()
    clock.set_business_date(clock.business_date() - timedelta(days=1))
    world.market.funding.close(listing)
    assert world.market.autoinvest.serve(listing).turns == ()
    assert world.market.wallets.wallet("inv_a").committed == yuan(0)


def test_the_wallet_guard_for_a_whole_pass_refuses_as_reserve_does_and_moves_every_wallet_or_none(
    container: Container,
) -> None:
    world = build(container)
    listing = world.offer("brw_1", amount=1_000)
    world.investor("inv_a", cash=500)
    world.investor("inv_b", cash=150)
    commitments = world.market.commitments
    refusals = {
        "autoinvest_cash_reserve": [Reservation("inv_a", yuan(100), None), Reservation("inv_b", yuan(100), yuan(100))],
        "insufficient_cash": [Reservation("inv_a", yuan(100), yuan(400)), Reservation("inv_b", yuan(200), None)],
    }
    for code, shares in refusals.items():
        with container.uow() as uow, pytest.raises(DomainError) as refused:
            commitments.reserve_many(uow, listing, shares)
        assert refused.value.code == code
    assert [world.market.wallets.wallet(i).committed for i in ("inv_a", "inv_b")] == [yuan(0), yuan(0)]
    with container.uow() as uow:
        ids = commitments.reserve_many(
            uow, listing, [Reservation("inv_a", yuan(100), yuan(400)), Reservation("inv_b", yuan(150), None)]
        )
        uow.commit()
    assert len(set(ids)) == 2
    assert [world.market.wallets.wallet(i).available for i in ("inv_a", "inv_b")] == [yuan(400), yuan(0)]
    assert sorted((c.investor_id, c.amount) for c in commitments.of_investor("inv_a")) == [("inv_a", yuan(100))]
