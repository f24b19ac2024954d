"""The lending answers written without pydantic are the models' own JSON, byte for byte."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.api.routers.lending_models import (
    LoanPublic,
    MoneyPublic,
    RepaymentPublic,
    loan_json,
    loans_json,
    major,
    repayment_json,
)
from fairlend.lending.model import Frequency, LoanState, Method, RepaymentKind
from fairlend.lending.views import InstallmentView, LoanDetail, LoanFacts, RepaymentResult
from fairlend.money import CURRENCY_EXPONENTS, Money

MINORS = st.integers(min_value=-(10**15), max_value=10**15) | st.sampled_from([0, 1, -1, 9, 10, 99, 100, 101, -100])
CURRENCIES = st.sampled_from(sorted(CURRENCY_EXPONENTS))
DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
RATES = st.decimals(min_value=Decimal(0), max_value=Decimal(10), places=6, allow_nan=False) | st.sampled_from(
    [Decimal("0.12"), Decimal("0.1200"), Decimal("1E+1"), Decimal("0E-8"), Decimal("0.000001")]
)


@st.composite
def details(draw: st.DrawFn) -> LoanDetail:
    currency = draw(CURRENCIES)

    def money() -> Money:
        return Money(draw(MINORS), currency)

    facts = LoanFacts(
        loan_id=draw(st.text(min_size=1, max_size=30)),
        borrower_id=draw(st.text(min_size=1, max_size=30)),
        state=draw(st.sampled_from(LoanState)),
        currency=currency,
        outstanding_principal=money(),
        total_outstanding=money(),
        overdue_amount=money(),
        days_past_due=draw(st.integers(min_value=0, max_value=10_000)),
        bucket=draw(st.sampled_from(["current", "M1", "M2", "M3+"])),
        settled_on=draw(st.none() | DATES),
        next_due_date=draw(st.none() | DATES),
        next_due_amount=money(),
    )
    schedule = tuple(
        InstallmentView(
            draw(st.integers(min_value=1, max_value=600)),
            draw(DATES),
            money(),
            money(),
            money(),
            money(),
            draw(st.sampled_from(["paid", "overdue", "due", "billed", "scheduled"])),
            money(),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=14)))
    )
    return LoanDetail(
        facts=facts,
        product_code=draw(st.text(max_size=20)),
        product_version=draw(st.integers(min_value=1, max_value=10**6)),
        principal=money(),
        rate=draw(RATES),
        apr=draw(RATES),
        term=draw(st.integers(min_value=1, max_value=600)),
        frequency=draw(st.sampled_from(Frequency)),
        method=draw(st.sampled_from(Method)),
        open_date=draw(DATES),
        maturity_date=draw(DATES),
        installment=money(),
        accrued_interest=money(),
        interest_due=money(),
        penalty_due=money(),
        fees_due=money(),
        first_delinquency_date=draw(st.none() | DATES),
        charged_off=money(),
        recovered=money(),
        origination_fee=money(),
        schedule=schedule,
    )


@settings(deadline=None)
@given(MINORS, CURRENCIES)
def test_an_amount_in_major_units_is_the_decimal_of_its_minor_units(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert major(minor, CURRENCY_EXPONENTS[currency]) == str(money.to_decimal()) == MoneyPublic.of(money).amount


@settings(deadline=None)
@given(MINORS, st.integers(min_value=0, max_value=9))
def test_major_agrees_with_decimal_for_any_number_of_places(minor: int, digits: int) -> None:
    assert major(minor, digits) == str(Decimal(minor).scaleb(-digits))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(details())
def test_a_loans_json_is_its_models_json_byte_for_byte(detail: LoanDetail) -> None:
    model = LoanPublic.of(detail)
    assert loan_json(detail) == model.model_dump_json(by_alias=True).encode()
    assert orjson.loads(loan_json(detail)) == model.model_dump(mode="json")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(details(), max_size=3))
def test_a_borrowers_loans_are_a_list_of_the_same(found: list[LoanDetail]) -> None:
    assert orjson.loads(loans_json(found)) == [LoanPublic.of(d).model_dump(mode="json") for d in found]


@settings(deadline=None)
@given(CURRENCIES, st.lists(MINORS, min_size=9, max_size=9), st.sampled_from(LoanState), st.sampled_from(RepaymentKind))
def test_a_repayments_json_is_its_models_json_byte_for_byte(
    currency: str, minors: list[int], state: LoanState, kind: RepaymentKind
) -> None:
    amounts = [Money(m, currency) for m in minors]
    result = RepaymentResult("rpy_1", "ln_1", *amounts[:8], days_past_due=minors[8] % 1000, state=state, kind=kind)
    assert repayment_json(result) == RepaymentPublic.of(result).model_dump_json(by_alias=True).encode()
