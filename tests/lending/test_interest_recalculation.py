"""Interest recalculation on the actual daily balance: late principal (and, compounding, interest) bears interest.

Each loan here lives through end-of-day and the real repayment path, and its
interest is checked against a day-by-day sum of the balance actually owed,
worked out in the test from the payments alone (not from what lending stored).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.errors import Invalid
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import DayCount, InterestMethod, InterestRecalculation, LoanState, Method
from fairlend.lending.schedule import build_schedule
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import cny, eod_through

RATE = Decimal("0.12")
TERMS: dict[str, object] = {
    "term": 3,
    "rate": RATE,
    "day_count": DayCount.ACT_365,
    "penalty_rate": Decimal("0"),
    "late_fee": 0,
}
DAILY = InterestRecalculation.DAILY
COMPOUNDING = InterestRecalculation.COMPOUNDING


def _book(container: Container, mode: InterestRecalculation, amount: str = "3000") -> str:
    code = f"recalc-{mode.value}"
    container.lending.products.define(product(code=code, interest_recalculation=mode, **TERMS))
    return container.lending.book_loan("brw_a", code, cny(amount))


def _owed_now(container: Container, loan_id: str) -> Money:
    """Everything billed and unpaid today (installments due by today)."""
    today = container.clock.business_date()
    rows = container.lending.loan_detail(loan_id).schedule
    return sum((r.outstanding for r in rows if r.due_date <= today), cny("0"))


@dataclass(frozen=True)
class Paid:
    on: date
    principal: int
    interest: int


def _reference_interest(
    principal: int, opened: date, billed: list[tuple[date, int]], paid: list[Paid], maturity: date, compound: bool
) -> Fraction:
    """The interest of the balance actually owed each day, from open to the last due date, at RATE / 365.

    A day's balance is what is owed at its end: payments of that day count, as end-of-day sees them;
    compounding, interest billed on a due date and unpaid at a day's end is owed too.
    """
    total = Fraction(0)
    d = opened
    while d < maturity:
        owed = principal - sum(p.principal for p in paid if p.on <= d)
        if compound:
            owed += sum(i for due, i in billed if due <= d) - sum(p.interest for p in paid if p.on <= d)
        total += Fraction(owed) * Fraction(RATE) / 365
        d += timedelta(days=1)
    return total


def _live(
    container: Container, clock: FixedClock, mode: InterestRecalculation, delays: tuple[int, ...], amount: str = "3000"
) -> tuple[str, list[Paid]]:
    """Book a loan and pay each installment `delays[k]` days after its due date (what is due then, in full)."""
    loan_id = _book(container, mode, amount)
    dues = [r.due_date for r in container.lending.loan_detail(loan_id).schedule]
    paid: list[Paid] = []
    for due, late in sorted(zip(dues, delays, strict=True), key=lambda x: x[0] + timedelta(days=x[1])):
        on = due + timedelta(days=late)
        if on <= clock.business_date() - timedelta(days=1):
            continue  # already paid with an earlier installment paid later still
        eod_through(container, clock, on - timedelta(days=1))
        owed = _owed_now(container, loan_id)
        if owed.minor:
            result = container.lending.repay(loan_id, owed)
            paid.append(Paid(on, result.principal_paid.minor, result.interest_paid.minor))
    return loan_id, paid


@pytest.mark.parametrize("mode", [DAILY, COMPOUNDING])
@pytest.mark.parametrize("delays", [(0, 0, 0), (10, 0, 0), (3, 17, 0), (45, 0, 0)])
def test_a_recalculated_loan_charges_exactly_the_interest_of_the_balance_actually_owed_each_day(
    container: Container, clock: FixedClock, mode: InterestRecalculation, delays: tuple[int, ...]
) -> None:
    opened = clock.business_date()
    loan_id, paid = _live(container, clock, mode, delays)
    detail = container.lending.loan_detail(loan_id)
    assert detail.facts.state is LoanState.SETTLED
    billed = [(r.due_date, r.interest.minor) for r in detail.schedule]
    expected = _reference_interest(300_000, opened, billed, paid, detail.maturity_date, compound=mode is COMPOUNDING)
    charged = sum(p.interest for p in paid)
    assert sum(p.principal for p in paid) == 300_000
    # Rounded once per period (the schedule's interest and the period's extra interest): within a minor unit each.
    assert abs(charged - expected) <= len(detail.schedule)
    assert container.verify() == []


@pytest.mark.backends("sqlite")
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from([DAILY, COMPOUNDING]),
    delays=st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
    minor=st.integers(50_000, 5_000_000),
)
def test_any_lateness_charges_the_balance_actually_owed_at_the_loans_rate_and_conserves_the_principal(
    tmp_path: Path, mode: InterestRecalculation, delays: tuple[int, int, int], minor: int
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:  # a fresh book for each example
        clock = FixedClock(datetime(2026, 3, 2, 2, tzinfo=UTC), date(2026, 3, 2))
        built = bootstrap(
            Settings(environment="test", database_url=f"sqlite:///{tmp}/recalc.db", data_dir=Path(tmp)), clock=clock
        )
        try:
            upgrade(built.engine)
            built.eod = EndOfDay(built.uow, built.ledger, built.profile, built.clock)
            opened = clock.business_date()
            amount = Money(minor, "CNY")
            planned = build_schedule(product(interest_recalculation=mode, **TERMS), minor, opened)
            loan_id, paid = _live(built, clock, mode, delays, str(amount.to_decimal()))
            detail = built.lending.loan_detail(loan_id)
            assert detail.facts.state is LoanState.SETTLED
            assert sum(p.principal for p in paid) == minor  # no fen of principal made or lost
            assert all(r.interest.minor >= 0 and r.principal.minor >= 0 for r in detail.schedule)
            billed = [(r.due_date, r.interest.minor) for r in detail.schedule]
            expected = _reference_interest(
                minor, opened, billed, paid, detail.maturity_date, compound=mode is COMPOUNDING
            )
            charged = sum(p.interest for p in paid)
            # At the loan's rate on what was actually owed, rounded once a period; never below the schedule.
            assert abs(charged - expected) <= len(detail.schedule)
            assert charged >= planned.total_interest
            assert built.verify() == []
        finally:
            built.close()


def test_ten_days_late_the_first_installments_principal_bears_interest_that_the_second_installment_bills(
    container: Container, clock: FixedClock
) -> None:
    loan_id = _book(container, DAILY)
    scheduled = container.lending.loan_detail(loan_id).schedule
    first, second = scheduled[0], scheduled[1]
    eod_through(container, clock, first.due_date + timedelta(days=9))
    container.lending.repay(loan_id, first.principal + first.interest)
    eod_through(container, clock, second.due_date - timedelta(days=1))
    billed = container.lending.loan_detail(loan_id).schedule[1]
    # 10 days (the due date and the 9 after it) of the first principal at 12 % / 365, rounded once.
    extra = first.principal.minor * 10 * 12 / 36500
    assert billed.interest.minor == second.interest.minor + round(extra)
    assert billed.principal == second.principal
    assert container.verify() == []


def test_compounding_charges_interest_on_the_unpaid_interest_too(container: Container, clock: FixedClock) -> None:
    daily, compounding = _book(container, DAILY), _book(container, COMPOUNDING)
    first = container.lending.loan_detail(daily).schedule[0]
    eod_through(container, clock, first.due_date + timedelta(days=19))
    for loan_id in (daily, compounding):
        container.lending.repay(loan_id, first.principal + first.interest)
    second = container.lending.loan_detail(daily).schedule[1].due_date
    eod_through(container, clock, second - timedelta(days=1))
    plain = container.lending.loan_detail(daily).schedule[1].interest.minor
    compounded = container.lending.loan_detail(compounding).schedule[1].interest.minor
    # 20 days of the first installment's interest at 12 % / 365 on top.
    assert compounded - plain == round(first.interest.minor * 20 * 12 / 36500)
    assert container.verify() == []


def test_without_recalculation_a_late_installment_changes_no_interest(container: Container, clock: FixedClock) -> None:
    loan_id = _book(container, InterestRecalculation.NONE)
    scheduled = container.lending.loan_detail(loan_id).schedule
    eod_through(container, clock, scheduled[0].due_date + timedelta(days=20))
    container.lending.repay(loan_id, scheduled[0].principal + scheduled[0].interest)
    eod_through(container, clock, scheduled[1].due_date - timedelta(days=1))
    assert container.lending.loan_detail(loan_id).schedule[1].interest == scheduled[1].interest


def test_an_early_payment_lowers_the_interest_to_that_of_the_balance_owed_each_day(
    container: Container, clock: FixedClock
) -> None:
    opened = clock.business_date()
    loan_id = _book(container, DAILY)
    scheduled = container.lending.loan_detail(loan_id).schedule
    eod_through(container, clock, scheduled[0].due_date - timedelta(days=11))
    first = container.lending.repay(loan_id, cny("1500"))  # ten days early, half the loan and more
    paid = [Paid(clock.business_date(), first.principal_paid.minor, first.interest_paid.minor)]
    while (detail := container.lending.loan_detail(loan_id)).facts.state is LoanState.ACTIVE:
        nxt = min(r.due_date for r in detail.schedule if r.status != "paid")
        eod_through(container, clock, nxt - timedelta(days=1))
        result = container.lending.repay(loan_id, _owed_now(container, loan_id))
        paid.append(Paid(nxt, result.principal_paid.minor, result.interest_paid.minor))
    expected = _reference_interest(300_000, opened, [], paid, detail.maturity_date, compound=False)
    charged = sum(p.interest for p in paid)
    assert charged < sum(r.interest.minor for r in scheduled)
    assert abs(charged - expected) <= len(detail.schedule)
    assert container.verify() == []


def test_a_payoff_quoted_ahead_includes_the_extra_interest_that_end_of_day_then_accrues(
    container: Container, clock: FixedClock
) -> None:
    loan_id = _book(container, COMPOUNDING)
    first, second = container.lending.loan_detail(loan_id).schedule[:2]
    eod_through(container, clock, first.due_date + timedelta(days=2))
    ahead = first.due_date + timedelta(days=12)
    quoted = container.lending.payoff_quote(loan_id, as_of=ahead)
    assert ahead < second.due_date
    eod_through(container, clock, ahead - timedelta(days=1))
    assert container.lending.payoff_quote(loan_id, as_of=ahead).interest == quoted.interest
    settled = container.lending.settle_early(loan_id)
    assert settled.state is LoanState.SETTLED
    assert container.verify() == []


def test_end_of_day_run_twice_for_a_date_adds_the_extra_interest_once(container: Container, clock: FixedClock) -> None:
    loan_id = _book(container, DAILY)
    first = container.lending.loan_detail(loan_id).schedule[0]
    eod_through(container, clock, first.due_date + timedelta(days=4))
    accrued = container.lending.loan_detail(loan_id).accrued_interest
    step = next(s for s in container.eod.steps if s.name == "accrual")
    with container.uow() as uow:
        step.run(uow, first.due_date + timedelta(days=4))
        uow.commit()
    assert container.lending.loan_detail(loan_id).accrued_interest == accrued
    assert container.verify() == []


@pytest.mark.parametrize(
    "changes",
    [{"interest_method": InterestMethod.FLAT}, {"method": Method.SINGLE_PAYMENT}],
)
def test_recalculation_is_refused_where_there_is_no_balance_or_no_later_installment(changes: dict[str, object]) -> None:
    with pytest.raises(Invalid) as refused:
        product(interest_recalculation=COMPOUNDING, **changes)
    assert refused.value.code == "product_recalculation_invalid"


@pytest.mark.parametrize(("mode", "second_interest"), [(DAILY, 8_998), (COMPOUNDING, 9_065)])
def test_the_worked_example_of_docs_lending_md_twenty_days_late_on_10000_at_12_percent(
    container: Container, clock: FixedClock, mode: InterestRecalculation, second_interest: int
) -> None:
    clock.set_business_date(date(2026, 1, 1))
    container.lending.products.define(product(code="doc", interest_recalculation=mode, **{**TERMS, "term": 12}))
    loan_id = container.lending.book_loan("brw_a", "doc", cny("10000"))
    first, second = container.lending.loan_detail(loan_id).schedule[:2]
    assert (first.principal, first.interest, second.interest) == (cny("786.57"), cny("101.92"), cny("84.81"))
    eod_through(container, clock, date(2026, 2, 20))
    container.lending.repay(loan_id, first.principal + first.interest)  # on 21 February: 20 days late
    eod_through(container, clock, date(2026, 2, 28))
    billed = container.lending.loan_detail(loan_id).schedule[1]
    assert billed.interest.minor == second_interest
    assert container.verify() == []


@pytest.mark.parametrize("mode", [DAILY, COMPOUNDING])
def test_a_late_payment_with_a_prepayment_pays_the_extra_interest_whole_and_restarts_the_period(
    container: Container, clock: FixedClock, mode: InterestRecalculation
) -> None:
    opened = clock.business_date()
    loan_id = _book(container, mode)
    first = container.lending.loan_detail(loan_id).schedule[0]
    eod_through(container, clock, first.due_date + timedelta(days=9))
    accrued = container.lending.loan_detail(loan_id).accrued_interest
    late = container.lending.repay(loan_id, first.principal + first.interest + cny("1000"))
    # The period's interest accrued so far, its extra interest included, was paid whole with the prepayment.
    assert late.interest_paid == first.interest + accrued
    # What is owed each day counts billed interest only: the accrued interest prepaid was never billed.
    paid = [Paid(clock.business_date(), late.principal_paid.minor, first.interest.minor)]
    charged = late.interest_paid.minor
    while (detail := container.lending.loan_detail(loan_id)).facts.state is LoanState.ACTIVE:
        nxt = min(r.due_date for r in detail.schedule if r.status != "paid")
        eod_through(container, clock, nxt - timedelta(days=1))
        result = container.lending.repay(loan_id, _owed_now(container, loan_id))
        paid.append(Paid(nxt, result.principal_paid.minor, result.interest_paid.minor))
        charged += result.interest_paid.minor
    billed = [(r.due_date, r.interest.minor) for r in detail.schedule]
    expected = _reference_interest(300_000, opened, billed, paid, detail.maturity_date, compound=mode is COMPOUNDING)
    assert abs(charged - expected) <= len(detail.schedule)
    assert container.verify() == []


def test_end_of_day_in_partitions_charges_the_same_extra_interest_as_in_one_transaction(
    container: Container, clock: FixedClock
) -> None:
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock, partitions=4)
    loan_id = _book(container, COMPOUNDING)
    first, second = container.lending.loan_detail(loan_id).schedule[:2]
    eod_through(container, clock, first.due_date + timedelta(days=9))
    container.lending.repay(loan_id, first.principal + first.interest)
    eod_through(container, clock, second.due_date - timedelta(days=1))
    extra = (first.principal.minor + first.interest.minor) * 10 * 12 / 36500
    assert container.lending.loan_detail(loan_id).schedule[1].interest.minor == second.interest.minor + round(extra)
    assert container.verify() == []
