"""Auto-invest's pure rules: rule validation, matching, headroom, and the rotation's fairness and determinism."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.errors import DomainError
from fairlend.market.autoinvest_model import (
    Rule,
    RuleTerms,
    Seat,
    Standing,
    allocations,
    borrower_cap,
    checked,
    first_match,
    headroom,
    matches,
    rotation,
)
from fairlend.money import Money

NOTE = 5_000  # ¥50


def yuan(amount: int | str) -> Money:
    return Money.of(amount, "CNY")


def terms(**changes: object) -> RuleTerms:
    base = RuleTerms(
        grades=("A", "B3"),
        terms=(12, 24),
        min_rate=Decimal("0.05"),
        max_rate=Decimal("0.12"),
        amount=yuan(100),
        borrower_share=Decimal("0.10"),
        reserve=yuan(0),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"grades": ()}, "autoinvest_grades_invalid"),
        ({"grades": ("A", "Z9")}, "autoinvest_grades_invalid"),
        ({"grades": ("H",)}, "autoinvest_grades_invalid"),
        ({"terms": ()}, "autoinvest_terms_invalid"),
        ({"terms": (0,)}, "autoinvest_terms_invalid"),
        ({"terms": (361,)}, "autoinvest_terms_invalid"),
        ({"min_rate": Decimal("0.2"), "max_rate": Decimal("0.1")}, "autoinvest_rate_range_invalid"),
        ({"min_rate": Decimal("-0.01")}, "autoinvest_rate_range_invalid"),
        ({"max_rate": Decimal("11")}, "autoinvest_rate_range_invalid"),
        ({"max_rate": Decimal("NaN")}, "autoinvest_rate_range_invalid"),
        ({"amount": yuan(75)}, "not_multiple_of_note"),
        ({"amount": yuan(0)}, "amount_not_positive"),
        ({"amount": Money.of(100, "USD")}, "wrong_currency"),
        ({"amount": Money(10**15, "CNY")}, "amount_out_of_range"),
        ({"borrower_share": Decimal(0)}, "autoinvest_borrower_share_invalid"),
        ({"borrower_share": Decimal("1.01")}, "autoinvest_borrower_share_invalid"),
        ({"reserve": yuan(-1)}, "autoinvest_reserve_invalid"),
        ({"reserve": Money.of(1, "USD")}, "autoinvest_reserve_invalid"),
    ],
)
def test_a_rule_that_breaks_a_bound_is_refused_with_its_own_code(changes: dict[str, object], code: str) -> None:
    with pytest.raises(DomainError) as refused:
        checked(terms(**changes), "CNY", NOTE)
    assert refused.value.code == code


def test_a_good_rule_comes_back_normalised() -> None:
    got = checked(terms(grades=("b3", " a", "A"), terms=(24, 12, 24)), "CNY", NOTE)
    assert got.grades == ("A", "B3") and got.terms == (12, 24)
    assert checked(terms(borrower_share=Decimal(1), reserve=yuan(0)), "CNY", NOTE).borrower_share == 1


def test_a_rule_matches_its_letter_grades_sub_grades_terms_rate_range_and_currency_only() -> None:
    rule = terms()
    assert matches(rule, "A4", 12, Decimal("0.075"), "CNY")
    assert matches(rule, "B3", 24, Decimal("0.05"), "CNY") and matches(rule, "A1", 12, Decimal("0.12"), "CNY")
    assert not matches(rule, "B4", 12, Decimal("0.075"), "CNY")  # B3 named, not the letter B
    assert not matches(rule, "A4", 36, Decimal("0.075"), "CNY")
    assert not matches(rule, "A4", 12, Decimal("0.1201"), "CNY")
    assert not matches(rule, "A4", 12, Decimal("0.0499"), "CNY")
    assert not matches(rule, "A4", 12, Decimal("0.075"), "USD")
    assert not matches(replace(rule, enabled=False), "A4", 12, Decimal("0.075"), "CNY")


def test_an_investors_oldest_matching_rule_takes_their_turn() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    rules = [
        Rule("air_2", "inv_a", terms(amount=yuan(200)), at, at),
        Rule("air_1", "inv_a", terms(grades=("C",)), at, at),  # older, but does not match
        Rule("air_3", "inv_a", terms(amount=yuan(300)), at, at),
        Rule("air_4", "inv_b", terms(enabled=False), at, at),
    ]
    chosen = first_match(rules, "A4", 12, Decimal("0.075"), "CNY")
    assert {i: r.id for i, r in chosen.items()} == {"inv_a": "air_2"}


def test_headroom_keeps_the_reserve_the_borrower_share_and_the_suitability_limit() -> None:
    # ¥1,000 cash, ¥100 committed elsewhere, ¥9,000 in notes: a portfolio of ¥10,000.
    standing = Standing(cash=100_000, committed=10_000, outstanding=900_000, in_borrower=20_000, suitability=None)
    assert borrower_cap(Decimal("0.05"), 100_000, 900_000) == 50_000
    # cash: 1,000 - 100 - reserve 200 = 700; borrower: 500 - 200 already = 300
    assert headroom(terms(reserve=yuan(200), borrower_share=Decimal("0.05")), standing) == 30_000
    assert headroom(terms(reserve=yuan(850), borrower_share=Decimal("0.05")), standing) == 5_000
    assert headroom(terms(reserve=yuan(2_000), borrower_share=Decimal(1)), standing) == 0
    assert headroom(terms(borrower_share=Decimal(1)), replace(standing, suitability=15_000)) == 15_000


def _seat(investor: str, amount: int = 10_000, room: int = 10**9, last: int = 0) -> Seat:
    return Seat(investor, f"air_{investor}", amount, room, last)


def test_the_docs_worked_example_serves_each_investor_in_turn_across_three_listings() -> None:
    # docs/market.md "Auto-invest": Ann, Bob and Cy each invest ¥100 a turn; Dee's ¥150 rule has only ¥100 room.
    seats = {"inv_ann": 0, "inv_bob": 0, "inv_cy": 0}
    dee = _seat("inv_dee", amount=15_000, room=10_000)

    def listing(need: int, next_turn: int, extra: list[Seat]) -> list[tuple[int, str, int]]:
        turns = rotation([_seat(i, last=t) for i, t in seats.items()] + extra, need, NOTE, next_turn)
        for t in turns:
            seats[t.investor_id] = t.number
        return [(t.number, t.investor_id, t.amount) for t in turns]

    assert listing(50_000, 1, [dee]) == [
        (1, "inv_ann", 10_000),
        (2, "inv_bob", 10_000),
        (3, "inv_cy", 10_000),
        (4, "inv_ann", 10_000),
        (5, "inv_bob", 10_000),
    ]
    # Cy was served longest ago; Dee (never served, passed over) would be first if she could invest.
    assert listing(30_000, 6, [dee]) == [(6, "inv_cy", 10_000), (7, "inv_ann", 10_000), (8, "inv_bob", 10_000)]
    # ¥250: two full turns, then the last ¥50 to the next in line (less than the rule's amount, never more).
    assert listing(25_000, 9, [dee]) == [(9, "inv_cy", 10_000), (10, "inv_ann", 10_000), (11, "inv_bob", 5_000)]


def test_a_seat_passed_over_keeps_its_place_and_takes_the_remainder_that_fits() -> None:
    # Dee's rule says ¥150 but only ¥100 is free: passed over while ¥150 turns fit, then takes the last ¥100.
    turns = rotation([_seat("inv_a", 15_000), _seat("inv_dee", 15_000, room=10_000)], 40_000, NOTE, 1)
    assert [(t.investor_id, t.amount) for t in turns] == [("inv_a", 15_000), ("inv_a", 15_000), ("inv_dee", 10_000)]


def test_the_same_seats_in_any_order_give_the_same_turns() -> None:
    seats = [_seat("inv_c", 5_000, last=3), _seat("inv_a", 10_000, last=7), _seat("inv_b", 5_000, last=3)]
    first = rotation(seats, 60_000, NOTE, 8)
    assert first == rotation(list(reversed(seats)), 60_000, NOTE, 8)
    assert [t.investor_id for t in first[:3]] == ["inv_b", "inv_c", "inv_a"]  # last turn, then id
    assert [(a.investor_id, a.amount, a.turns) for a in allocations(first)] == [
        ("inv_a", 30_000, 3),
        ("inv_b", 15_000, 3),
        ("inv_c", 15_000, 3),
    ]


seat_lists = st.lists(
    st.tuples(st.integers(1, 6), st.integers(0, 40), st.integers(0, 20)),  # amount in notes, room in notes, last
    min_size=1,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(seat_lists, st.integers(0, 120), st.integers(0, NOTE - 1))
def test_the_rotation_never_overfills_never_passes_headroom_and_stops_only_when_nobody_fits(
    raw: list[tuple[int, int, int]], need_notes: int, odd: int
) -> None:
    seats = [_seat(f"inv_{n}", a * NOTE, room * NOTE, last) for n, (a, room, last) in enumerate(raw)]
    need = need_notes * NOTE + odd  # a listing need not be a whole number of notes
    turns = rotation(seats, need, NOTE, 1)
    assert sum(t.amount for t in turns) <= need
    assert [t.number for t in turns] == list(range(1, len(turns) + 1))
    by_seat = {s.investor_id: s for s in seats}
    for a in allocations(turns):
        assert a.amount <= by_seat[a.investor_id].headroom
    for t in turns:
        assert 0 < t.amount <= by_seat[t.investor_id].amount and t.amount % NOTE == 0
    # The oracle bites: when the rotation stops short, no seat could have taken another turn.
    left = need - sum(t.amount for t in turns)
    for s in seats:
        room = s.headroom - sum(t.amount for t in turns if t.investor_id == s.investor_id)
        take = s.amount if s.amount <= left else left - left % NOTE
        assert not (0 < take <= room), (s, left, room)
    # Fairness: within what each could take, no investor is more than one turn ahead of another.
    counts = {s.investor_id: sum(1 for t in turns if t.investor_id == s.investor_id) for s in seats}
    unlimited = [i for i, s in by_seat.items() if s.headroom >= need and s.amount == NOTE]
    if len(unlimited) > 1:
        assert max(counts[i] for i in unlimited) - min(counts[i] for i in unlimited) <= 1
