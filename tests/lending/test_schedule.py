"""Schedules and APR: the glossary's worked numbers, properties for every method and frequency, an independent formula."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.errors import Invalid, PolicyViolation
from fairlend.jurisdiction.loader import load_profile
from fairlend.jurisdiction.model import AprMethod
from fairlend.lending.model import DayCount, FeeTreatment, Frequency, Method
from fairlend.lending.schedule import add_months, build_schedule, check_apr_cap
from fairlend.money import Rounding
from tests.lending.conftest import product

OPEN = date(2026, 3, 2)


def test_ten_thousand_at_eighteen_percent_for_a_year_is_916_80_a_month() -> None:
    schedule = build_schedule(product(), 1_000_000, OPEN)
    assert schedule.installment == 91_680
    assert all(line.total == 91_680 for line in schedule.lines[:-1])
    assert schedule.lines[0].interest == 15_000  # periodic rate 1.5 %
    assert sum(line.principal for line in schedule.lines) == 1_000_000


def test_equal_principal_twelve_thousand_at_twelve_percent_starts_at_1120_and_ends_at_1010() -> None:
    schedule = build_schedule(product(method=Method.EQUAL_PRINCIPAL, rate=Decimal("0.12")), 1_200_000, OPEN)
    assert schedule.lines[0].total == 112_000
    assert schedule.lines[-1].total == 101_000
    assert {line.principal for line in schedule.lines} == {100_000}


def test_interest_only_pays_interest_each_period_and_the_principal_at_the_end() -> None:
    schedule = build_schedule(product(method=Method.INTEREST_ONLY_BALLOON, rate=Decimal("0.12")), 1_200_000, OPEN)
    assert [line.principal for line in schedule.lines] == [0] * 11 + [1_200_000]
    assert {line.interest for line in schedule.lines} == {12_000}


def test_single_payment_pays_principal_and_interest_once_at_maturity() -> None:
    schedule = build_schedule(
        product(method=Method.SINGLE_PAYMENT, frequency=Frequency.WEEKLY, term=2, day_count=DayCount.ACT_365),
        100_000,
        OPEN,
    )
    (line,) = schedule.lines
    assert line.due == date(2026, 3, 16)
    assert line.principal == 100_000
    assert line.interest == 690  # 1,000 x 18 % x 14/365 = 6.904...


def test_monthly_due_dates_keep_the_open_day_through_short_months() -> None:
    schedule = build_schedule(product(term=3), 300_000, date(2026, 1, 31))
    assert [line.due for line in schedule.lines] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_weekly_and_biweekly_installments_fall_seven_and_fourteen_days_apart() -> None:
    for frequency, gap in ((Frequency.WEEKLY, 7), (Frequency.BIWEEKLY, 14)):
        lines = build_schedule(product(frequency=frequency, term=6), 600_000, OPEN).lines
        assert [(b.due - a.due).days for a, b in itertools.pairwise(lines)] == [gap] * 5


methods = st.sampled_from(list(Method))
frequencies = st.sampled_from(list(Frequency))
day_counts = st.sampled_from(list(DayCount))
roundings = st.sampled_from(list(Rounding))


@settings(max_examples=300, deadline=None)
@given(
    method=methods,
    frequency=frequencies,
    day_count=day_counts,
    rounding=roundings,
    step=st.sampled_from([1, 100]),
    amount=st.integers(100_000, 100_000_000),
    rate=st.decimals(Decimal("0"), Decimal("0.36"), places=4),
    term=st.integers(1, 60),
    fee=st.decimals(Decimal("0"), Decimal("0.05"), places=3),
    financed=st.booleans(),
    open_date=st.dates(date(2024, 1, 1), date(2030, 12, 31)),
)
def test_every_schedule_repays_exactly_the_principal_without_a_negative_balance(
    method: Method,
    frequency: Frequency,
    day_count: DayCount,
    rounding: Rounding,
    step: int,
    amount: int,
    rate: Decimal,
    term: int,
    fee: Decimal,
    financed: bool,
    open_date: date,
) -> None:
    p = product(
        method=method,
        frequency=frequency,
        day_count=day_count,
        rounding=rounding,
        installment_rounding=step,
        rate=rate,
        term=term,
        origination_fee_rate=fee,
        origination_fee_treatment=FeeTreatment.FINANCED if financed else FeeTreatment.DEDUCTED,
    )
    schedule = build_schedule(p, amount, open_date)
    lines = schedule.lines
    assert sum(line.principal for line in lines) == schedule.principal
    assert schedule.principal == (amount + schedule.fee if financed else amount)
    assert all(line.principal >= 0 and line.interest >= 0 and line.balance_after >= 0 for line in lines)
    assert lines[-1].balance_after == 0
    assert all(a.due < b.due for a, b in itertools.pairwise(lines))
    if method is Method.EQUAL_INSTALLMENT:
        # Every installment but the last is the same; the last absorbs the rounding.
        assert len({line.total for line in lines[:-1]}) <= 1
        assert lines[0].total % step == 0 or len(lines) == 1
    elif method is Method.EQUAL_PRINCIPAL:
        assert len({line.principal for line in lines[:-1]}) <= 1
    elif method is Method.INTEREST_ONLY_BALLOON:
        assert all(line.principal == 0 for line in lines[:-1])
        assert len(lines) == term
    else:
        assert len(lines) == 1
    # Fees and interest only raise the cost: the APR is never below zero, and not below the rate without them.
    assert schedule.apr >= 0


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(1_000_000, 100_000_000),
    rate=st.decimals(Decimal("0.01"), Decimal("0.36"), places=4),
    term=st.integers(1, 60),
)
def test_a_fee_free_monthly_equal_installment_loan_on_30_360_has_an_apr_equal_to_its_nominal_rate(
    amount: int, rate: Decimal, term: int
) -> None:
    schedule = build_schedule(product(rate=rate, term=term), amount, OPEN)
    assert schedule.apr == rate.quantize(Decimal("0.0001"))


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(100_000, 100_000_000),
    rate=st.decimals(Decimal("0.01"), Decimal("0.36"), places=4),
    term=st.integers(1, 60),
    method=st.sampled_from([Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY_BALLOON]),
)
def test_other_fee_free_monthly_methods_on_30_360_price_at_the_nominal_rate_up_to_minor_unit_rounding(
    amount: int, rate: Decimal, term: int, method: Method
) -> None:
    # Each period's interest is rounded to the minor unit; on a small loan that moves the IRR a little.
    schedule = build_schedule(product(rate=rate, term=term, method=method), amount, OPEN)
    assert abs(schedule.apr - rate) <= Decimal("0.0001") + Decimal(term) / amount


def test_a_deducted_fee_raises_the_apr_above_the_nominal_rate_and_the_effective_form_is_higher_still() -> None:
    p = product(origination_fee_rate=Decimal("0.02"))
    nominal = build_schedule(p, 1_000_000, OPEN).apr
    effective = build_schedule(p, 1_000_000, OPEN, apr_method=AprMethod.EFFECTIVE).apr
    assert nominal > Decimal("0.18")
    monthly = nominal / 12
    assert abs(effective - ((1 + monthly) ** 12 - 1)) < Decimal("0.0005")
    assert effective > nominal


@settings(max_examples=100, deadline=None)
@given(
    amount=st.integers(100_000, 50_000_000),
    rate=st.decimals(Decimal("0.01"), Decimal("0.36"), places=4),
    term=st.integers(2, 48),
)
def test_equal_installments_match_numpy_financial_pmt_ipmt_and_ppmt(amount: int, rate: Decimal, term: int) -> None:
    lines = build_schedule(product(rate=rate, term=term), amount, OPEN).lines
    periodic = float(rate) / 12
    pmt = -npf.pmt(periodic, term, amount)
    assert abs(lines[0].total - pmt) <= 0.5 + 1e-6
    for k, line in enumerate(lines[:-1], start=1):
        # Ours rounds each period's interest on the rounded balance; the drift stays within a few minor units.
        assert abs(line.interest - -npf.ipmt(periodic, k, term, amount)) <= 1 + k * 0.5
        assert abs(line.principal - -npf.ppmt(periodic, k, term, amount)) <= 1 + k * 0.5


def test_a_quote_above_the_cap_is_refused_naming_the_cap_the_apr_and_the_rule() -> None:
    pricing = load_profile("cn").pricing
    schedule = build_schedule(product(rate=Decimal("0.30")), 1_000_000, OPEN)
    with pytest.raises(PolicyViolation) as refused:
        check_apr_cap(schedule.apr, pricing)
    assert "24.00%" in refused.value.detail
    assert "30.00%" in refused.value.detail
    assert "CN-21" in refused.value.detail
    assert refused.value.extra["rules"] == ["CN-21"]
    check_apr_cap(build_schedule(product(rate=Decimal("0.24")), 1_000_000, OPEN).apr, pricing)


def test_an_installment_that_cannot_cover_its_interest_is_refused() -> None:
    p = product(rate=Decimal("0.36"), installment_rounding=100_000, rounding=Rounding.DOWN, term=60)
    with pytest.raises(Invalid) as refused:
        build_schedule(p, 1_000_000, OPEN)
    assert refused.value.code == "schedule_negative_principal"


def test_a_due_date_on_or_before_the_open_date_is_refused_for_every_method() -> None:
    for method in Method:
        for first_due in (date(2026, 3, 2), date(2026, 3, 1)):
            with pytest.raises(Invalid) as refused:
                build_schedule(product(method=method, term=3), 300_000, date(2026, 3, 2), first_due=first_due)
            assert refused.value.code == "first_due_not_after_open"
