from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fairlend.money import Money
from fairlend.origination.fakes import annuity_quote
from fairlend.origination.model import (
    GRADES,
    CreditPolicy,
    Decision,
    decide,
    grade_for,
    limit_for,
    limit_reason,
    rate_for,
)
from fairlend.origination.ports import QuoteRequest

POLICY = CreditPolicy()


def test_grades_run_from_a1_to_g5_as_the_score_falls() -> None:
    assert len(GRADES) == 35 and GRADES[0] == "A1" and GRADES[-1] == "G5"
    grades = [GRADES.index(grade_for(s, POLICY)) for s in range(900, 200, -1)]
    assert grades == sorted(grades) and grades[0] == 0 and grades[-1] == 34


@given(
    score=st.integers(200, 900),
    cap=st.sampled_from([Decimal("0.10"), Decimal("0.24"), Decimal("0.36")]),
    requested=st.integers(100_000, 20_000_000),
)
def test_a_rate_above_the_apr_cap_is_never_offered(score: int, cap: Decimal, requested: int) -> None:
    outcome = decide(
        score, Money(requested, "CNY"), Money(20_000_000, "CNY"), overdue_now=False, apr_cap=cap, policy=POLICY
    )
    if outcome.decision is not Decision.DECLINE:
        assert outcome.nominal_rate is not None and outcome.nominal_rate <= cap
    if rate_for(grade_for(score, POLICY), POLICY) > cap:
        assert outcome.decision is Decision.DECLINE


def test_limit_comes_from_verified_income_less_existing_debt() -> None:
    income = Money.of(10_000, "CNY")
    assert limit_for(income, Money.of(0, "CNY"), POLICY, "CNY") == Money.of(60_000, "CNY")  # six months' income
    assert limit_for(income, Money.of(100_000, "CNY"), POLICY, "CNY") == Money.of(20_000, "CNY")
    assert limit_for(income, Money.of(130_000, "CNY"), POLICY, "CNY") == Money.of(0, "CNY")
    assert limit_for(None, Money.of(0, "CNY"), POLICY, "CNY") == Money(POLICY.unverified_limit_minor, "CNY")


def test_an_annuity_quote_repays_the_principal_exactly_and_fees_raise_the_apr() -> None:
    request = QuoteRequest(Money.of(10_000, "CNY"), 12, Decimal("0.18"), Money.of(0, "CNY"), date(2026, 3, 2))
    quote = annuity_quote(request)
    assert sum(i.principal.minor for i in quote.installments) == 1_000_000
    assert quote.installments[0].total == Money.of("916.80", "CNY")  # GLOSSARY's worked example
    assert abs(quote.apr - Decimal("0.18")) < Decimal("0.0001")
    with_fee = annuity_quote(
        QuoteRequest(request.amount, 12, request.nominal_rate, Money.of(100, "CNY"), request.start_date)
    )
    assert with_fee.apr > quote.apr
    assert with_fee.total_cost == with_fee.total_interest + Money.of(100, "CNY")


def test_the_limit_names_the_rule_that_set_it() -> None:
    policy = CreditPolicy()
    cny = "CNY"
    cases = [
        (None, Money(0, cny), "no_verified_income"),
        (Money(1_000_000, cny), Money(0, cny), "income_months"),  # 10,000 a month, no debt: 6 months
        (Money(1_000_000, cny), Money(10_000_000, cny), "debt_headroom"),  # 100,000 of debt eats the headroom
        (Money(10_000_000, cny), Money(0, cny), "maximum"),  # 100,000 a month: over the cap
    ]
    for income, debt, reason in cases:
        assert limit_reason(income, debt, policy) == reason, (income, debt)
        limit = limit_for(income, debt, policy, cny)
        if reason == "maximum":
            assert limit.minor == policy.max_limit_minor
        if reason == "no_verified_income":
            assert limit.minor == policy.unverified_limit_minor
