"""Properties of every schedule setting together, and agreement with numpy-financial where it applies."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fairlend.errors import Invalid, PolicyViolation
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending.model import DayCount, EmiMethod, Frequency, InterestMethod, Method
from fairlend.lending.schedule import build_schedule, check_apr_cap
from fairlend.lending.schedule.terms import regular_from
from fairlend.money import Rounding
from tests.lending.conftest import product

OPEN = date(2026, 3, 2)
PRICING = load_profile("cn").pricing


@st.composite
def products(draw: st.DrawFn) -> object:
    term = draw(st.integers(2, 48))
    below = st.integers(0, min(3, term - 1))
    frequency = draw(st.sampled_from(list(Frequency)))
    monthly = frequency is Frequency.MONTHLY
    return product(
        method=draw(st.sampled_from([Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY_BALLOON])),
        interest_method=draw(st.sampled_from(list(InterestMethod))),
        emi_method=draw(st.sampled_from(list(EmiMethod))),
        frequency=frequency,
        due_day=draw(st.integers(0, 28)) if monthly else 0,
        first_period_min_days=draw(st.integers(0, 45)) if monthly else 0,
        day_count=draw(st.sampled_from(list(DayCount))),
        rounding=draw(st.sampled_from(list(Rounding))),
        installment_rounding=draw(st.sampled_from([1, 100])),
        rebalance_installment=draw(st.booleans()),
        rate=draw(st.decimals(Decimal("0"), Decimal("0.36"), places=4)),
        term=term,
        grace_principal_periods=draw(below),
        grace_interest_periods=draw(below),
        interest_free_periods=draw(below),
    )


@settings(max_examples=400, deadline=None)
@given(p=products(), amount=st.integers(100_000, 50_000_000), open_date=st.dates(date(2024, 1, 1), date(2030, 12, 31)))
def test_every_setting_repays_exactly_the_principal_and_the_last_installment_absorbs_only_the_residue(
    p: object, amount: int, open_date: date
) -> None:
    from fairlend.lending.model import Product

    assert isinstance(p, Product)
    try:
        schedule = build_schedule(p, amount, open_date)
    except Invalid as refused:
        # Only a rounded-down installment step too coarse for the interest can refuse a valid product.
        assert refused.code == "schedule_negative_principal"
        return
    lines = schedule.lines
    # Exact integers of minor units, never floats or Decimals that merely compare equal.
    assert (
        all(type(v) is int for ln in lines for v in (ln.principal, ln.interest, ln.total, ln.balance_after))
        and type(schedule.installment) is int
    )
    assert sum(ln.principal for ln in lines) == amount
    assert all(ln.principal >= 0 and ln.interest >= 0 and ln.balance_after >= 0 for ln in lines)
    assert lines[-1].balance_after == 0
    # Each line's period number says which lines are grace (before regular_from) and which regular.
    grace_lines = [ln for ln, t in zip(lines, schedule.period_index, strict=True) if t <= regular_from(p)]
    assert all(ln.total > 0 for ln in grace_lines)  # a period of full grace joined the next installment
    assert all(a.due < b.due for a, b in itertools.pairwise(lines))
    assert all(a.due == b.start for a, b in itertools.pairwise(lines)) and lines[0].start == open_date
    assert [ln.seq for ln in lines] == list(range(1, len(lines) + 1))
    if (
        p.interest_method is InterestMethod.FLAT
        and p.rate > 0
        and not (p.grace_interest_periods or p.interest_free_periods)
    ):
        # Flat costs at least its rate, up to each period's interest rounded to the minor unit.
        slack = Decimal("0.0002") + Decimal(2 * p.frequency.periods_per_year) / amount
        assert schedule.apr >= p.rate - slack
    if p.method is Method.EQUAL_INSTALLMENT:
        regular = [ln for ln, t in zip(lines, schedule.period_index, strict=True) if t > regular_from(p)]
        assert len({ln.total for ln in regular[:-1]}) <= 1 and (
            len(regular) < 2 or regular[0].total == schedule.installment
        )
        if p.rebalance_installment and lines[-1].total > schedule.installment:
            # No multiple of the step both keeps the term and ends no larger: the installment stays unbalanced.
            assert lines == build_schedule(replace(p, rebalance_installment=False), amount, open_date).lines
        elif len(regular) >= 2 and (p.emi_method is EmiMethod.PROGRESSIVE or p.interest_method is InterestMethod.FLAT):
            # (rate / 12 on actual days strays further: that is what rebalance_installment is for)
            # What the last differs by is the rounding residue carried through the periods, nothing more.
            # Every line paying the rounded installment adds its rounding, compounded to the end.
            growth = sum((1 + 2 * p.rate / p.frequency.periods_per_year) ** k for k in range(len(lines)))
            assert abs(lines[-1].total - schedule.installment) <= (p.installment_rounding + 1) * growth + 1


@settings(max_examples=150, deadline=None)
@given(p=products(), amount=st.integers(100_000, 50_000_000))
def test_the_apr_is_refused_exactly_when_above_the_profiles_cap(p: object, amount: int) -> None:
    from fairlend.lending.model import Product

    assert isinstance(p, Product)
    try:
        schedule = build_schedule(p, amount, OPEN)
    except Invalid:
        return
    if schedule.apr > PRICING.apr_cap:
        with pytest.raises(PolicyViolation):
            check_apr_cap(schedule.apr, PRICING)
    else:
        check_apr_cap(schedule.apr, PRICING)


@settings(max_examples=100, deadline=None)
@given(
    amount=st.integers(100_000, 50_000_000),
    rate=st.decimals(Decimal("0.01"), Decimal("0.36"), places=4),
    term=st.integers(2, 48),
)
def test_a_flat_loans_apr_is_numpy_financials_rate_of_its_equal_installments(
    amount: int, rate: Decimal, term: int
) -> None:
    p = product(rate=rate, term=term, interest_method=InterestMethod.FLAT)
    schedule = build_schedule(p, amount, OPEN)
    lines = schedule.lines
    flows = [-amount] + [ln.total for ln in lines]
    assert abs(Decimal(repr(float(npf.irr(flows)))) * 12 - schedule.apr) <= Decimal("0.0002")
    assert abs(sum(ln.interest for ln in lines) - amount * float(rate) * term / 12) <= term / 2 + 1


@settings(max_examples=100, deadline=None)
@given(
    amount=st.integers(1_000_000, 50_000_000),
    rate=st.decimals(Decimal("0.01"), Decimal("0.36"), places=4),
    share=st.floats(0.02, 0.5),
)
def test_a_fixed_installment_runs_numpy_financials_nper_periods(amount: int, rate: Decimal, share: float) -> None:
    installment = int(amount * share)
    periodic = float(rate) / 12
    assume(installment > amount * periodic * 1.01)
    schedule = build_schedule(product(rate=rate), amount, OPEN, installment=installment)
    nper = float(npf.nper(periodic, -installment, amount))
    # Rounding each period's interest can move a payoff that lands on a period boundary by one period.
    assert abs(len(schedule.lines) - math.ceil(nper)) <= 1
    assert all(ln.total == installment for ln in schedule.lines[:-1]) and schedule.lines[-1].total <= installment
