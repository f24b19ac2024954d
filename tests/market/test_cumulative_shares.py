"""Shares of the loan's cumulative totals (positions.py, epochs.py): floors, held units, and the end of an epoch.

A note's part of each cumulative amount a loan distributed in an epoch is
floor(C * w / W); the loan holds what the floors leave until the epoch ends,
when every total is split by largest remainder (`shares.split`).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.market.positions import floor_share
from fairlend.market.shares import Weighted, servicing_fee, split

sizes = st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=40)


def _floors(amount: int, weights: list[int]) -> list[int]:
    return [floor_share(amount, w, sum(weights)) for w in weights]


@st.composite
def _payments(draw: st.DrawFn, total: int) -> list[tuple[int, int, int]]:
    """A sequence of (amount, principal, fee) a loan of `total` principal pays, never past its principal."""
    left, out = total, []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        principal = draw(st.integers(min_value=0, max_value=left))
        amount = principal + draw(st.integers(min_value=0 if principal else 1, max_value=total // 5 + 1))
        fee = servicing_fee(amount, draw(st.decimals(min_value=0, max_value=Decimal("0.2"), places=4)), 0, 15)
        out.append((amount, principal, fee))
        left -= principal
    return out


@settings(deadline=None)  # a loaded shared machine must not fail a property on time
@given(sizes, st.data())
def test_no_batch_share_is_negative_and_each_batch_conserves_money(weights: list[int], data: st.DataObject) -> None:
    """Per batch: every share >= 0, within one unit of its exact part, and shares + held units = payment - fee."""
    total = sum(weights)
    net = fee_total = principal_total = 0
    for amount, principal, fee in data.draw(_payments(total)):
        before = (_floors(net, weights), _floors(fee_total, weights), _floors(principal_total, weights))
        held_before = (net - sum(before[0]), fee_total - sum(before[1]), principal_total - sum(before[2]))
        net, fee_total, principal_total = net + amount - fee, fee_total + fee, principal_total + principal
        after = (_floors(net, weights), _floors(fee_total, weights), _floors(principal_total, weights))
        held_after = (net - sum(after[0]), fee_total - sum(after[1]), principal_total - sum(after[2]))
        for column, paid, held0, held1 in zip(
            range(3), (amount - fee, fee, principal), held_before, held_after, strict=True
        ):
            batch = [a - b for a, b in zip(after[column], before[column], strict=True)]
            assert all(s >= 0 for s in batch)
            assert sum(batch) + (held1 - held0) == paid  # no unit made or lost: the rest is held
            assert 0 <= held1 < len(weights)  # the loan holds fewer units than it has notes
            for s, w in zip(batch, weights, strict=True):
                assert abs(s - Fraction(paid * w, total)) < 1


@settings(deadline=None)
@given(sizes, st.data())
def test_each_notes_cumulative_amount_is_within_one_unit_below_exact(weights: list[int], data: st.DataObject) -> None:
    total = sum(weights)
    cumulative = data.draw(st.integers(min_value=0, max_value=total * 3))
    for got, w in zip(_floors(cumulative, weights), weights, strict=True):
        assert 0 <= Fraction(cumulative * w, total) - got < 1


@settings(deadline=None)
@given(sizes, st.data())
def test_at_the_end_of_an_epoch_the_held_units_go_out_by_largest_remainder(
    weights: list[int], data: st.DataObject
) -> None:
    """Each note gets its floor or one unit more, the totals are paid whole, and a payoff leaves every note at zero."""
    total = sum(weights)
    notes = [Weighted(f"note_{i:04d}", w) for i, w in enumerate(weights)]
    interest = data.draw(st.integers(min_value=0, max_value=total))
    for cumulative in (total, interest):  # the principal repaid whole, and any other total
        floors, final = _floors(cumulative, weights), split(cumulative, notes)
        assert sum(final) == cumulative
        assert all(f - g in (0, 1) for f, g in zip(final, floors, strict=True))
    assert _floors(total, weights) == weights  # a payoff's principal floors are exact: nothing held


def test_the_floor_in_sql_form_equals_the_plain_floor_for_large_amounts() -> None:
    """(C / W) * w + (C % W) * w / W, the form the SQL uses to stay within 64 bits, is floor(C * w / W)."""
    for c, w, big_w in ((10**12 + 7, 2_999_999_999, 2_999_999_999 * 3), (5, 3, 7), (0, 1, 1), (14, 7, 7)):
        assert (c // big_w) * w + ((c % big_w) * w) // big_w == floor_share(c, w, big_w)
