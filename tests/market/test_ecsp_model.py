"""MK-4's pure rules: the entry test's mark, the loss simulation, the warning's limit, the reflection window."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fairlend.market.ecsp import (
    PASS_MARK,
    QUESTIONS,
    large_investment_limit,
    mark,
    may_revoke,
    needs_warning,
    reflecting_since,
    simulate_loss,
)


def test_the_test_has_five_questions_on_the_five_basics_and_passes_at_four() -> None:
    assert [q.id for q in QUESTIONS] == ["loss", "liquidity", "guarantee", "diversification", "platform_role"]
    assert all(q.correct in q.options for q in QUESTIONS)
    right = {q.id: q.correct for q in QUESTIONS}
    assert mark(right).passed and mark(right).score == 5
    one_slip = {**right, "loss": "nothing"}
    assert mark(one_slip).passed and mark(one_slip).wrong == ("loss",) and PASS_MARK == 4
    two_slips = {**one_slip, "guarantee": "the_platform"}
    assert not mark(two_slips).passed and mark(two_slips).score == 3


def test_unanswered_questions_count_as_wrong() -> None:
    assert mark({}).score == 0 and not mark({}).passed


def test_the_capacity_to_bear_loss_is_ten_percent_of_net_worth_rounded_down() -> None:
    sim = simulate_loss(5_000_000, 2_000_009, 1_000_000)
    assert sim.net_worth_minor == 6_000_009 and sim.capacity_minor == 600_000


def test_commitments_above_income_and_assets_leave_no_net_worth_and_nothing_to_lose() -> None:
    sim = simulate_loss(100, 100, 1_000)
    assert (sim.net_worth_minor, sim.capacity_minor) == (0, 0)
    with pytest.raises(ValueError):
        simulate_loss(-1, 0, 0)


def test_the_warning_limit_is_the_lower_of_the_amount_and_the_share_of_net_worth() -> None:
    assert large_investment_limit(100_000, Decimal("0.05"), 1_000_000) == 50_000
    assert large_investment_limit(100_000, Decimal("0.05"), 10_000_000) == 100_000
    assert large_investment_limit(100_000, Decimal("0.05"), None) == 100_000
    assert large_investment_limit(0, Decimal(0), 1_000) is None
    assert not needs_warning(100_000, 100_000) and needs_warning(100_001, 100_000) and not needs_warning(5, None)


def test_an_offer_is_revocable_through_the_fourth_calendar_day_after_it_was_made() -> None:
    made = date(2026, 3, 1)
    assert may_revoke(made, date(2026, 3, 5), 4) and not may_revoke(made, date(2026, 3, 6), 4)
    assert not may_revoke(made, made, 0)
    assert reflecting_since(date(2026, 3, 5), 4) == date(2026, 3, 2)  # made on 1 March: over at the end of the 5th
