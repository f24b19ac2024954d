"""Every kind of plan, on random loans: no fen made or lost, nothing negative, never above the APR cap.

The oracle (`support.conservation_errors`) is written from the definitions,
not from the code: what the new schedule carries plus what was paid equals
everything the loan charged less what was given up, and its principal is the
loan's less what was written off. `test_the_oracle_bites` shows it catches a
single fen moved, and `test_most_random_plans_can_be_offered` that the
properties are not vacuous (most random terms pass the checks).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.hardship.checks import evaluate
from fairlend.hardship.model import Kind, Outcome, Terms
from fairlend.lending.model import DayCount, Frequency, Method, Product
from fairlend.lending.position_model import LoanPosition
from fairlend.money import Rounding
from tests.hardship.support import CASH12, CN, US, conservation_errors, position

PROFILES = {"cn": CN, "us": US}


@st.composite
def loans(draw: st.DrawFn) -> LoanPosition:
    method = draw(st.sampled_from([Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL, Method.INTEREST_ONLY_BALLOON]))
    frequency = draw(st.sampled_from(list(Frequency)))
    product: Product = replace(
        CASH12,
        method=method,
        frequency=frequency,
        rate=draw(st.decimals(min_value=Decimal("0"), max_value=Decimal("0.24"), places=4)),
        term=draw(st.integers(min_value=1, max_value=36)),
        day_count=draw(st.sampled_from(list(DayCount))),
        rounding=draw(st.sampled_from(list(Rounding))),
        installment_rounding=draw(st.sampled_from([1, 1, 100])),
    )
    return position(
        product,
        draw(st.integers(min_value=50_000, max_value=50_000_000)),
        paid=draw(st.integers(min_value=0, max_value=30)),
        late=draw(st.integers(min_value=0, max_value=6)),
        days_into_period=draw(st.integers(min_value=1, max_value=40)),
        penalty=draw(st.integers(min_value=0, max_value=200_000)),
        fees=draw(st.integers(min_value=0, max_value=50_000)),
    )


def terms_for(draw: st.DrawFn, kind: Kind, p: LoanPosition) -> Terms:
    waive = {
        "waive_interest": draw(st.integers(0, p.interest_billed + p.accrued_interest)),
        "waive_fees": draw(st.integers(0, p.fees)),
        "waive_penalty": draw(st.integers(0, p.penalty)),
    }
    if kind is Kind.PAYMENT_HOLIDAY:
        return Terms(kind, periods=draw(st.integers(1, 3)), **waive)
    if kind is Kind.TERM_EXTENSION:
        method = draw(st.sampled_from([None, Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL]))
        return Terms(kind, periods=draw(st.integers(1, 24)), method=method, **waive)
    if kind is Kind.REDUCED_INSTALLMENTS:
        share = draw(st.decimals(min_value=Decimal("0.3"), max_value=Decimal("0.99"), places=2))
        installment = int(p.installment * share) + 1
        return Terms(
            kind,
            periods=draw(st.integers(1, 6)),
            installment=installment,
            extra_periods=draw(st.integers(0, 12)),
            **waive,
        )
    if kind is Kind.INTEREST_STOP:
        return Terms(kind, periods=draw(st.integers(1, 60)), **waive)
    if kind is Kind.DISCOUNTED_SETTLEMENT:
        share = draw(st.decimals(min_value=Decimal("0.5"), max_value=Decimal("0.999"), places=3))
        return Terms(
            kind,
            amount=max(1, int(p.owed * share)),
            pay_by=p.as_of + timedelta(days=draw(st.integers(1, 30))),
        )
    rate = draw(st.none() | st.decimals(min_value=Decimal("0"), max_value=Decimal("0.24"), places=4))
    shift = draw(st.integers(1, 90))
    return Terms(kind, periods=draw(st.integers(0, 3)), rate=rate, first_due=p.as_of + timedelta(days=shift), **waive)


@st.composite
def cases(draw: st.DrawFn) -> tuple[LoanPosition, Terms, str]:
    p = draw(loans())
    kind = draw(st.sampled_from(list(Kind)))
    return p, terms_for(draw, kind, p), draw(st.sampled_from(sorted(PROFILES)))


def _outcome(p: LoanPosition, terms: Terms, profile: str) -> Outcome:
    rules = PROFILES[profile]
    return evaluate(p, terms, rules.hardship, rules.pricing)


@settings(max_examples=600, deadline=None)
@given(cases())
def test_every_plan_conserves_every_fen_and_never_goes_negative_or_above_the_cap(
    case: tuple[LoanPosition, Terms, str],
) -> None:
    p, terms, profile = case
    outcome = _outcome(p, terms, profile)
    if outcome.installments:
        assert conservation_errors(p, outcome) == []
    if outcome.ok:
        assert outcome.installments, "an offerable plan has installments"
        assert outcome.apr <= PROFILES[profile].pricing.apr_cap
        assert outcome.installments[0].start == p.as_of
        assert all(line.due > p.as_of for line in outcome.installments)
        dues = [line.due for line in outcome.installments]
        assert dues == sorted(set(dues)), "one installment per due date, in order"
    else:
        assert outcome.codes, "a refused plan says why"


def test_most_random_plans_can_be_offered() -> None:
    """The properties above are about offerable plans: most random terms must be offerable, for every kind."""
    rng = random.Random(15)
    offered = dict.fromkeys(Kind, 0)
    tries = 40
    for kind in Kind:
        for _ in range(tries):
            p = position(
                replace(CASH12, term=rng.randint(6, 36)),
                rng.randint(100_000, 5_000_000),
                paid=rng.randint(0, 4),
                late=rng.randint(0, 3),
                penalty=rng.randint(0, 5_000),
                fees=rng.randint(0, 10_000),
            )
            outcome = _outcome(p, _sample_terms(rng, kind, p), "cn")
            if outcome.ok:
                assert conservation_errors(p, outcome) == []
                offered[kind] += 1
    assert all(count >= tries * 0.6 for count in offered.values()), offered


def _sample_terms(rng: random.Random, kind: Kind, p: LoanPosition) -> Terms:
    waive = {"waive_penalty": rng.randint(0, p.penalty), "waive_fees": rng.randint(0, p.fees)}
    if kind is Kind.PAYMENT_HOLIDAY:
        return Terms(kind, periods=rng.randint(1, 3), **waive)
    if kind is Kind.TERM_EXTENSION:
        return Terms(kind, periods=rng.randint(1, 24), method=Method.EQUAL_INSTALLMENT, **waive)
    if kind is Kind.REDUCED_INSTALLMENTS:
        return Terms(kind, periods=rng.randint(1, 3), installment=int(p.installment * 0.6), extra_periods=6, **waive)
    if kind is Kind.INTEREST_STOP:
        return Terms(kind, periods=rng.randint(1, 60), **waive)
    if kind is Kind.DISCOUNTED_SETTLEMENT:
        return Terms(kind, amount=int(p.owed * 0.8), pay_by=p.as_of + timedelta(days=rng.randint(1, 30)))
    return Terms(kind, periods=rng.randint(0, 2), rate=Decimal("0.12"), first_due=p.as_of + timedelta(days=30), **waive)


def test_the_oracle_bites() -> None:
    """One fen moved from a plan's principal to its interest, or a waiver not counted, is caught."""
    p = position(penalty=1_000, fees=5_000)
    outcome = _outcome(p, Terms(Kind.INTEREST_STOP, periods=24, waive_penalty=1_000), "cn")
    assert outcome.ok and conservation_errors(p, outcome) == []
    first = outcome.installments[0]
    moved = replace(first, principal=first.principal - 1, interest=first.interest + 1)
    assert conservation_errors(p, replace(outcome, installments=(moved, *outcome.installments[1:])))
    uncounted = replace(outcome, concessions=replace(outcome.concessions, penalty=0))
    assert conservation_errors(p, uncounted)
    negative = replace(first, arrears_fee=-1, arrears_interest=first.arrears_interest + first.arrears_fee + 1)
    assert conservation_errors(p, replace(outcome, installments=(negative, *outcome.installments[1:])))
