"""shares.py: no fen made or lost, each share within one minor unit of exact, payoffs exact, ties deterministic."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.errors import DomainError
from fairlend.jurisdiction.loader import load_profile
from fairlend.market.model import co_funding, investor_notes
from fairlend.market.shares import Weighted, servicing_fee, share_receipt, split
from fairlend.money import Money

sizes = st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=60)


def _notes(weights: list[int]) -> list[Weighted]:
    return [Weighted(f"note_{i:04d}", w) for i, w in enumerate(weights)]


@settings(deadline=None)  # a loaded shared machine must not fail a property on time
@given(sizes, st.data(), st.decimals(min_value=0, max_value=Decimal("0.2"), places=4))
def test_shares_sum_to_the_payment_less_the_fee_and_each_is_within_one_unit_of_exact(
    weights: list[int], data: st.DataObject, rate: Decimal
) -> None:
    total = sum(weights)
    amount = data.draw(st.integers(min_value=0, max_value=total * 2))
    principal = data.draw(st.integers(min_value=0, max_value=min(amount, total)))
    fee = servicing_fee(amount, rate, 0, 15)
    got = share_receipt(amount, principal, fee, _notes(weights))
    assert sum(g.net for g in got) == amount - fee
    assert sum(g.fee for g in got) == fee
    assert sum(g.principal for g in got) == principal
    for g, w in zip(got, weights, strict=True):
        assert abs(g.net - Fraction((amount - fee) * w, total)) < 1
        assert abs(g.fee - Fraction(fee * w, total)) < 1
        assert 0 <= g.principal <= w  # never repaid past its outstanding principal
        assert g.net >= 0 and g.fee >= 0


@settings(deadline=None)
@given(sizes, st.data())
def test_a_payoff_repays_every_note_exactly(weights: list[int], data: st.DataObject) -> None:
    interest = data.draw(st.integers(min_value=0, max_value=10**8))
    got = share_receipt(sum(weights) + interest, sum(weights), 0, _notes(weights))
    assert [g.principal for g in got] == weights


@settings(deadline=None)
@given(
    st.integers(min_value=1, max_value=10**12),
    st.decimals(min_value=0, max_value=Decimal("0.7"), places=3),
    st.lists(st.integers(min_value=1, max_value=10**6), max_size=10),
)
def test_the_notes_of_a_loan_always_sum_to_its_principal(
    minor: int, partner_share: Decimal, commitments: list[int]
) -> None:
    cn = load_profile("cn").marketplace
    partners = tuple(replace(p, share=partner_share) for p in cn.funding_partners[:1])
    market = replace(cn, funding_partners=partners, platform_min_share=Decimal("0.3"))
    investors = investor_notes([(f"inv_{i % 4}", c) for i, c in enumerate(commitments)], "CNY")
    funded = sum(n.principal.minor for n in investors)
    notes = investors + co_funding(Money(minor, "CNY"), market)
    assert sum(n.principal.minor for n in notes) == minor + funded
    assert all(n.principal.minor > 0 for n in notes)


@settings(deadline=None)
@given(sizes, st.integers(min_value=0, max_value=10**12), st.randoms(use_true_random=False))
def test_the_units_left_over_go_to_the_largest_remainders_then_the_smaller_ids(
    weights: list[int], amount: int, rng: random.Random
) -> None:
    notes = _notes(weights)
    rng.shuffle(notes)  # the order given never decides
    total = sum(weights)
    exact = [Fraction(amount * n.weight, total) for n in notes]
    floors = [int(e) for e in exact]
    by_claim = sorted(range(len(notes)), key=lambda i: (-(exact[i] - floors[i]), notes[i].note_id))
    expected = list(floors)
    for i in by_claim[: amount - sum(floors)]:
        expected[i] += 1
    assert split(amount, notes) == expected


def test_ties_go_to_the_smaller_note_id_whatever_the_order_given() -> None:
    notes = [Weighted("note_b", 1), Weighted("note_a", 1), Weighted("note_c", 1)]
    assert split(2, notes) == [1, 1, 0]
    assert split(2, list(reversed(notes))) == [0, 1, 1]


def test_a_late_payment_pays_no_fee_and_the_fee_is_rounded_in_the_holders_favour() -> None:
    assert servicing_fee(199, Decimal("0.01"), 15, 15) == 1
    assert servicing_fee(199, Decimal("0.01"), 16, 15) == 0
    assert servicing_fee(199, Decimal("0.01"), 400, -1) == 1


@pytest.mark.parametrize(
    ("amount", "weights", "code"),
    [(-1, [1], "share_negative"), (5, [0, 0], "share_no_weight"), (5, [1, -1], "share_negative")],
)
def test_money_that_cannot_be_shared_exactly_is_refused(amount: int, weights: list[int], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        split(amount, _notes(weights))
    assert refused.value.code == code


def test_a_receipt_whose_parts_exceed_it_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        share_receipt(100, 101, 0, _notes([500]))
    assert refused.value.code == "share_inconsistent"
    with pytest.raises(DomainError) as too_much:
        share_receipt(600, 600, 0, _notes([500]))
    assert too_much.value.code == "share_principal_exceeds"
