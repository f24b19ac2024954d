"""A product rounding interest up is refused where rounding can price a loan above the APR cap (CN-21).

Tested as an adversary would: at the exact cap, just below it, on short periods, on 360- and 365-day years;
and the oracle bites both ways: a refused product's terms do build a loan above the cap, and an accepted
one's loans never go above it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fairlend.bootstrap import Container
from fairlend.errors import Invalid
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending.model import DayCount, Frequency, InterestMethod, Method, Product
from fairlend.lending.schedule import build_schedule
from fairlend.lending.schedule.cap import cap_periodic_rate, longest_fraction, rounding_up_finding
from fairlend.money import Rounding
from tests.lending.conftest import product

PRICING = load_profile("cn").pricing
CAP = PRICING.apr_cap
OPEN = date(2026, 1, 31)


def _crossing_amount(rate: Decimal, frequency: Frequency, day_count: DayCount, term: int) -> int | None:
    """The smallest amount (up to 5,000 minor units) whose schedule rounded up prices above the cap."""
    p = product(rate=rate, frequency=frequency, day_count=day_count, term=term, rounding=Rounding.UP)
    for amount in range(1, 5_000):
        schedule = build_schedule(p, amount, OPEN, apr_method=PRICING.apr_method)
        if schedule.apr > CAP:
            return amount
    return None


def test_a_product_rounding_up_at_the_exact_cap_is_refused_naming_the_rule(container: Container) -> None:
    at_cap = product(code="up-cap", rate=CAP, rounding=Rounding.UP, min_amount=10_000_000)
    with pytest.raises(Invalid) as refused:
        container.lending.products.define(at_cap)
    assert refused.value.code == "product_rounding_up_above_cap"
    assert refused.value.extra["rules"] == [PRICING.apr_cap_rule] == ["CN-21"]
    assert refused.value.extra["min_amount_needed"] is None  # no amount is enough at the cap
    assert container.lending.products.all() == []
    # The refusal is needed: the same terms price a small loan above the cap once rounded up.
    assert _crossing_amount(CAP, Frequency.MONTHLY, DayCount.THIRTY_360, 12) is not None


def test_a_rate_just_below_the_cap_is_refused_until_its_smallest_loan_is_large_enough(container: Container) -> None:
    rate = CAP - Decimal("0.0001")
    small = product(code="up-near", rate=rate, rounding=Rounding.UP, min_amount=100_000)
    with pytest.raises(Invalid) as refused:
        container.lending.products.define(small)
    needed = refused.value.extra["min_amount_needed"]
    # (1 + j) / (j (j - r / 12)) with j = 2 %: 1.02 / (0.02 x 0.0001 / 12), 6,120,000 minor units.
    assert needed == 6_120_000
    assert _crossing_amount(rate, Frequency.MONTHLY, DayCount.THIRTY_360, 12) is not None
    stored = container.lending.products.define(
        product(code="up-near", rate=rate, rounding=Rounding.UP, min_amount=needed)
    )
    assert stored.version == 1


@pytest.mark.parametrize(
    ("frequency", "day_count"),
    [
        (Frequency.WEEKLY, DayCount.ACT_365),
        (Frequency.WEEKLY, DayCount.ACT_360),
        (Frequency.FIFTEEN_DAYS, DayCount.ACT_365),
        (Frequency.FIFTEEN_DAYS, DayCount.ACT_360),
        (Frequency.SEMIMONTHLY, DayCount.THIRTY_360),
        (Frequency.MONTHLY, DayCount.ACT_360),
        (Frequency.MONTHLY, DayCount.ACT_364),
        (Frequency.MONTHLY, DayCount.ACT_ACT),
    ],
)
def test_short_periods_and_360_day_years_need_more_room_below_the_cap(
    frequency: Frequency, day_count: DayCount
) -> None:
    """A 31-day month on a 360-day year charges 31/360 of the rate, more than the 1/12 the APR annualises:
    such a product at a rate within that margin of the cap is refused whatever its smallest loan."""
    longest = longest_fraction(frequency, day_count)
    j = cap_periodic_rate(CAP, frequency, PRICING.apr_method)
    no_room = Decimal(float(j / longest)).quantize(Decimal("0.0001")) + Decimal("0.0001")
    finding = rounding_up_finding(
        product(rate=no_room, frequency=frequency, day_count=day_count, rounding=Rounding.UP, min_amount=10**9), PRICING
    )
    assert finding is not None and finding.min_amount_needed is None
    half = product(rate=CAP / 2, frequency=frequency, day_count=day_count, rounding=Rounding.UP, min_amount=0)
    finding = rounding_up_finding(half, PRICING)
    assert finding is not None and finding.min_amount_needed is not None  # 1 minor unit is never enough
    enough = product(
        rate=CAP / 2,
        frequency=frequency,
        day_count=day_count,
        rounding=Rounding.UP,
        min_amount=finding.min_amount_needed,
    )
    assert rounding_up_finding(enough, PRICING) is None


def test_other_rounding_modes_and_flat_interest_are_left_to_each_quote_s_cap_check() -> None:
    for mode in (Rounding.HALF_UP, Rounding.HALF_EVEN, Rounding.DOWN):
        assert rounding_up_finding(product(rate=CAP, rounding=mode), PRICING) is None
    flat = product(rate=CAP, rounding=Rounding.UP, interest_method=InterestMethod.FLAT)
    assert rounding_up_finding(flat, PRICING) is None


@st.composite
def accepted(draw: st.DrawFn) -> tuple[Product, int, int]:
    """A product rounding up at any rate within the cap, its smallest loan raised to what the rule asks (the
    products it refuses whatever the amount left out), and a loan of it."""
    p = product(
        rate=draw(st.decimals(Decimal("0.01"), CAP, places=4)),
        frequency=draw(st.sampled_from(list(Frequency))),
        day_count=draw(st.sampled_from(list(DayCount))),
        rounding=Rounding.UP,
        method=draw(st.sampled_from([Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY_BALLOON])),
        installment_rounding=draw(st.sampled_from([1, 100])),
    )
    finding = rounding_up_finding(p, PRICING)
    assert finding is not None  # no smallest loan at all: 1 minor unit rounded up crosses any cap
    assume(finding.min_amount_needed is not None)
    assert finding.min_amount_needed is not None
    p = replace(p, min_amount=finding.min_amount_needed)
    assert rounding_up_finding(p, PRICING) is None
    amount = p.min_amount + draw(st.integers(0, 3 * p.min_amount))
    return p, amount, draw(st.integers(1, 36))


@settings(max_examples=300, deadline=None)
@given(accepted())
def test_every_loan_of_an_accepted_product_rounding_up_stays_within_the_cap(case: tuple[Product, int, int]) -> None:
    p, amount, term = case
    schedule = build_schedule(p, amount, OPEN, term=term, apr_method=PRICING.apr_method)
    assert schedule.apr <= CAP
