"""Every refusal a proposal can meet, with its stable code; several at once are all reported."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from fairlend.hardship.checks import evaluate, kind_rules_version
from fairlend.hardship.model import Kind, Outcome, Terms
from fairlend.jurisdiction.model import Profile
from fairlend.lending.model import LoanState, Method
from fairlend.lending.position_model import LoanPosition
from fairlend.lending.schedule.rebuild import periods_between
from tests.hardship.support import CASH12, CN, US, position


def _evaluate(p: LoanPosition, terms: Terms, profile: Profile = CN) -> Outcome:
    return evaluate(p, terms, profile.hardship, profile.pricing)


def _off(profile: Profile, kind: str) -> Profile:
    rules = profile.hardship
    return replace(profile, hardship=replace(rules, **{kind: replace(getattr(rules, kind), enabled=False)}))


@pytest.mark.parametrize(
    ("state", "code"),
    [
        (LoanState.SETTLED, "loan_settled"),
        (LoanState.CHARGED_OFF, "loan_charged_off"),
        (LoanState.WRITTEN_OFF, "loan_charged_off"),
    ],
)
def test_a_loan_off_the_books_or_settled_cannot_be_modified(state: LoanState, code: str) -> None:
    outcome = _evaluate(position(state=state), Terms(Kind.INTEREST_STOP, periods=12))
    assert outcome.codes == (code,)
    assert outcome.installments == ()


@pytest.mark.parametrize("kind", list(Kind))
def test_a_kind_switched_off_in_the_profile_is_refused(kind: Kind) -> None:
    p = position()
    terms = Terms(kind, periods=1, amount=p.owed - 100, pay_by=p.as_of + timedelta(days=5), installment=50_000)
    profile = _off(CN, kind.value)
    assert "type_switched_off" in _evaluate(p, terms, profile).codes
    assert "type_switched_off" not in _evaluate(p, terms, CN).codes


def test_waiving_more_than_is_owed_names_each_part_and_a_negative_waiver_is_refused() -> None:
    p = position(penalty=1_000, fees=5_000)
    over = _evaluate(p, Terms(Kind.INTEREST_STOP, periods=12, waive_penalty=1_001, waive_fees=5_001))
    assert over.codes == ("waiver_exceeds_owed",)
    assert "penalty 1001 > 1000" in over.problems[0].detail and "fees 5001 > 5000" in over.problems[0].detail
    interest = p.interest_billed + p.accrued_interest
    assert _evaluate(p, Terms(Kind.INTEREST_STOP, periods=12, waive_interest=interest)).ok
    assert _evaluate(p, Terms(Kind.INTEREST_STOP, periods=12, waive_interest=interest + 1)).codes == (
        "waiver_exceeds_owed",
    )
    assert _evaluate(p, Terms(Kind.INTEREST_STOP, periods=12, waive_fees=-1)).codes == ("waiver_negative",)


def test_a_settlement_must_be_below_the_balance_within_the_discount_and_due_soon() -> None:
    p = position()
    soon = p.as_of + timedelta(days=10)
    assert _evaluate(p, Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed, pay_by=soon)).codes == (
        "settlement_not_below_balance",
    )
    assert _evaluate(p, Terms(Kind.DISCOUNTED_SETTLEMENT, amount=0, pay_by=soon)).codes == ("amount_not_positive",)
    half = p.owed // 2  # cn forgives at most half
    assert _evaluate(p, Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed - half, pay_by=soon)).ok
    assert _evaluate(p, Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed - half - 1, pay_by=soon)).codes == (
        "discount_beyond_type_max",
    )
    late = p.as_of + timedelta(days=31)
    assert _evaluate(p, Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed - 1, pay_by=late)).codes == (
        "pay_by_out_of_range",
    )
    assert _evaluate(p, Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed - 1, pay_by=p.as_of)).codes == (
        "pay_by_out_of_range",
    )
    waived = Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed - 1, pay_by=soon, waive_fees=1)
    assert _evaluate(p, waived).codes == ("waiver_not_applicable",)


def test_a_rate_above_the_cap_and_an_apr_above_it_are_refused_naming_the_rule() -> None:
    p = position()
    refused = _evaluate(p, Terms(Kind.OPERATOR_RESCHEDULE, rate=Decimal("0.2401")))
    assert refused.codes == ("rate_above_cap",) and refused.problems[0].rule == "CN-21"
    assert _evaluate(p, Terms(Kind.OPERATOR_RESCHEDULE, rate=Decimal("0.24"))).ok
    assert _evaluate(p, Terms(Kind.OPERATOR_RESCHEDULE, rate=Decimal("-0.01"))).codes == ("rate_invalid",)
    # A loan written above today's cap (a profile that lowered it): re-amortising it keeps its rate and its APR.
    dear = position(replace(CASH12, rate=Decimal("0.30")))
    outcome = _evaluate(dear, Terms(Kind.TERM_EXTENSION, periods=3))
    assert outcome.codes == ("apr_above_cap",) and outcome.problems[0].rule == "CN-21"
    assert outcome.apr > CN.pricing.apr_cap
    # The same loan under us's 36 % cap is fine.
    assert _evaluate(dear, Terms(Kind.TERM_EXTENSION, periods=3), US).ok


def test_a_plan_may_not_run_past_the_products_longest_term() -> None:
    p = position(max_term=18)  # 12 periods, 3 in; extending by 6 ends in period 18
    assert _evaluate(p, Terms(Kind.TERM_EXTENSION, periods=6)).ok
    refused = _evaluate(p, Terms(Kind.TERM_EXTENSION, periods=7))
    assert refused.codes == ("term_beyond_product_max",)
    assert periods_between(p.open_date, refused.installments[-1].due, p.frequency) == 19
    assert _evaluate(position(max_term=0), Terms(Kind.TERM_EXTENSION, periods=24)).ok  # 0: no product limit


def test_periods_outside_the_kinds_range_are_refused() -> None:
    p = position()
    assert _evaluate(p, Terms(Kind.PAYMENT_HOLIDAY, periods=4)).codes == ("periods_out_of_range",)
    assert _evaluate(p, Terms(Kind.PAYMENT_HOLIDAY, periods=0)).codes == ("periods_out_of_range",)
    assert _evaluate(p, Terms(Kind.INTEREST_STOP, periods=60)).ok
    assert _evaluate(p, Terms(Kind.INTEREST_STOP, periods=61)).codes == ("periods_out_of_range",)
    assert _evaluate(p, Terms(Kind.TERM_EXTENSION, periods=25)).codes == ("periods_out_of_range",)
    bad_method = _evaluate(p, Terms(Kind.TERM_EXTENSION, periods=2, method=Method.SINGLE_PAYMENT))
    assert bad_method.codes == ("method_invalid",)


def test_reduced_installments_must_be_reduced_above_the_minimum_and_pay_their_interest() -> None:
    p = position()
    assert _evaluate(p, Terms(Kind.REDUCED_INSTALLMENTS, periods=3, installment=p.installment)).codes == (
        "installment_not_reduced",
    )
    least = -(-p.installment * 3 // 10)  # 30 %, rounded up
    assert _evaluate(p, Terms(Kind.REDUCED_INSTALLMENTS, periods=3, installment=least, extra_periods=6)).ok
    assert _evaluate(p, Terms(Kind.REDUCED_INSTALLMENTS, periods=3, installment=least - 1)).codes == (
        "installment_below_minimum",
    )
    lenient = replace(CN, hardship=replace(CN.hardship, reduced_installments=replace(
        CN.hardship.reduced_installments, min_share=Decimal("0"))))  # fmt: skip
    below = _evaluate(p, Terms(Kind.REDUCED_INSTALLMENTS, periods=3, installment=1_000), lenient)
    assert below.codes == ("reduced_below_interest",)
    assert _evaluate(p, Terms(Kind.REDUCED_INSTALLMENTS, periods=9, installment=least)).codes == (
        "periods_out_of_range",
        "periods_out_of_range",
    )


def test_a_reschedule_moves_due_dates_within_the_profiles_shift_and_leaves_principal_to_repay() -> None:
    p = position()
    anchor = p.remaining[0].due
    assert _evaluate(p, Terms(Kind.OPERATOR_RESCHEDULE, first_due=anchor + timedelta(days=90))).ok
    assert _evaluate(p, Terms(Kind.OPERATOR_RESCHEDULE, first_due=anchor + timedelta(days=91))).codes == (
        "shift_beyond_type_max",
    )
    assert _evaluate(p, Terms(Kind.OPERATOR_RESCHEDULE, first_due=p.as_of)).codes == ("first_due_not_after_today",)
    last_one = position(paid=11, late=0)
    assert _evaluate(last_one, Terms(Kind.OPERATOR_RESCHEDULE, periods=1)).codes == ("grace_not_below_term",)


def test_every_problem_is_reported_at_once() -> None:
    p = position(penalty=10)
    outcome = _evaluate(p, Terms(Kind.PAYMENT_HOLIDAY, periods=9, waive_penalty=11), _off(CN, "payment_holiday"))
    assert set(outcome.codes) == {"type_switched_off", "waiver_exceeds_owed", "periods_out_of_range"}


def test_each_kind_is_versioned_on_its_own() -> None:
    assert kind_rules_version(CN.hardship, Kind.INTEREST_STOP) == 1
    bumped = replace(CN.hardship, interest_stop=replace(CN.hardship.interest_stop, version=2))
    assert kind_rules_version(bumped, Kind.INTEREST_STOP) == 2
    assert kind_rules_version(bumped, Kind.PAYMENT_HOLIDAY) == 1


def test_the_fingerprint_changes_with_any_number_and_not_otherwise() -> None:
    p = position(penalty=500)
    terms = Terms(Kind.INTEREST_STOP, periods=12)
    first = _evaluate(p, terms)
    assert first.fingerprint == _evaluate(p, terms).fingerprint
    a_day_later = replace(p, accrued_interest=p.accrued_interest + 1)
    assert _evaluate(a_day_later, terms).fingerprint != first.fingerprint
    assert _evaluate(p, replace(terms, waive_penalty=1)).fingerprint != first.fingerprint
