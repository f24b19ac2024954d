"""The simulated people: valid numbers, the story's mix of behaviours, the same people for the same seed."""

from __future__ import annotations

import random
from datetime import date

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric

from fairlend.sim.people import DEV_CARD_PREFIX, Behaviour, behaviours, make_borrowers

START = date(2026, 1, 1)


@settings(max_examples=40, deadline=None)
@given(count=st.integers(1, 120), seed=st.integers(0, 10_000))
def test_every_simulated_borrower_has_numbers_identity_would_accept(count: int, seed: int) -> None:
    people = make_borrowers(count, seed, START)
    assert len({p.phone for p in people}) == count and len({p.id_number for p in people}) == count
    for p in people:
        assert ric.is_valid(p.id_number) and ric.get_birth_date(p.id_number) == p.birth_date
        assert (START - p.birth_date).days >= 365 * 18
        assert p.card_number.startswith(DEV_CARD_PREFIX) and luhn.is_valid(p.card_number)
        assert phonenumbers.is_valid_number(phonenumbers.parse(p.phone, "CN"))


@given(count=st.integers(2, 500), seed=st.integers(0, 10_000))
def test_exactly_one_borrower_prepays_and_most_pay_on_time(count: int, seed: int) -> None:
    kinds = behaviours(count, random.Random(seed))
    assert len(kinds) == count and kinds.count(Behaviour.PREPAY) == 1
    assert kinds.count(Behaviour.ON_TIME) >= 1
    if count >= 4:
        assert {Behaviour.LATE, Behaviour.NEVER} <= set(kinds)
    if count >= 10:
        assert kinds.count(Behaviour.ON_TIME) > count // 2


def test_the_same_seed_gives_the_same_people_and_another_seed_other_people() -> None:
    assert make_borrowers(30, 11, START) == make_borrowers(30, 11, START)
    assert {p.phone for p in make_borrowers(30, 11, START)}.isdisjoint({p.phone for p in make_borrowers(30, 12, START)})
