"""Loans booked on each schedule setting live their whole life: billed, accrued, paid on time, settled, verified."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from fairlend.lending.model import (
    DayCount,
    EmiMethod,
    Frequency,
    InterestMethod,
    InterestRecalculation,
    LoanState,
    Product,
)
from fairlend.money import Money, Rounding
from tests.lending.conftest import product
from tests.lending.helpers import cny, eod_through

SETTINGS: dict[str, dict[str, object]] = {
    "flat": {"interest_method": InterestMethod.FLAT},
    "grace": {"grace_principal_periods": 2, "grace_interest_periods": 1},
    "free": {"interest_free_periods": 2},
    "semi": {"frequency": Frequency.SEMIMONTHLY, "day_count": DayCount.ACT_ACT},
    "days15": {"frequency": Frequency.FIFTEEN_DAYS, "day_count": DayCount.ACT_364},
    # Rounding up needs a smallest loan the APR-cap bound allows (12 % on 30/360: 51.00; schedule/cap.py).
    "rebal": {"installment_rounding": 100, "rounding": Rounding.UP, "rebalance_installment": True, "min_amount": 5_100},
    "prog": {"emi_method": EmiMethod.PROGRESSIVE, "day_count": DayCount.ACT_365},
    "recalc": {"interest_recalculation": InterestRecalculation.COMPOUNDING, "day_count": DayCount.ACT_365},
}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_a_loan_on_each_setting_paid_on_every_due_date_settles_with_exactly_its_scheduled_interest(
    container: Container, clock: FixedClock, name: str
) -> None:
    stored = container.lending.products.define(
        product(code=f"s-{name}", term=5, rate=Decimal("0.12"), **SETTINGS[name])
    )
    quote = container.lending.quote(stored.code, cny("5000"))
    loan_id = container.lending.book_loan("brw_a", stored.code, cny("5000"))
    schedule = container.lending.loan_detail(loan_id).schedule
    assert [(i.due_date, i.principal.minor, i.interest.minor) for i in schedule] == [
        (ln.due, ln.principal, ln.interest) for ln in quote.schedule.lines
    ]
    interest_paid = 0
    for installment in schedule:
        eod_through(container, clock, installment.due_date - timedelta(days=1))
        paid = container.lending.repay(loan_id, installment.principal + installment.interest)
        interest_paid += paid.interest_paid.minor
        assert paid.days_past_due == 0 and paid.refunded.minor == 0
    assert paid.state is LoanState.SETTLED
    assert interest_paid == quote.schedule.total_interest
    assert container.verify() == []


def test_a_prepaid_flat_loan_is_rebuilt_flat_on_the_balance_left(container: Container, clock: FixedClock) -> None:
    container.lending.products.define(
        product(code="flat-6", term=6, rate=Decimal("0.12"), interest_method=InterestMethod.FLAT)
    )
    loan_id = container.lending.book_loan("brw_a", "flat-6", cny("6000"))
    first = container.lending.loan_detail(loan_id).schedule[0]
    eod_through(container, clock, first.due_date - timedelta(days=1))
    # The installment (1,060) and 1,000 more: the rest is rebuilt, keeping the installment, on 4,000 flat.
    container.lending.repay(loan_id, cny("2060"))
    rest = [i for i in container.lending.loan_detail(loan_id).schedule if i.status == "scheduled"]
    assert {i.interest.minor for i in rest} == {4_000}  # 4,000 x 12 % / 12
    assert sum(i.principal.minor for i in rest) == 400_000
    assert container.verify() == []


def test_a_fixed_installment_booking_derives_the_term_and_records_it(container: Container) -> None:
    container.lending.products.define(product(code="fixed", rate=Decimal("0.12")))
    loan_id = container.lending.book_loan("brw_a", "fixed", cny("10000"), installment=cny("1000"))
    detail = container.lending.loan_detail(loan_id)
    assert len(detail.schedule) == 11
    assert {i.principal + i.interest for i in detail.schedule[:-1]} == {cny("1000")}
    with pytest.raises(Invalid) as refused:
        container.lending.quote("fixed", cny("10000"), installment=Money.of("1000", "USD"))
    assert refused.value.code == "currency_mismatch"


def test_a_product_with_new_settings_is_stored_and_read_back_as_a_version(container: Container) -> None:
    stored = container.lending.products.define(product(code="grace-6", term=6, **SETTINGS["grace"]))
    assert container.lending.products.get("grace-6") == stored
    assert isinstance(stored, Product) and stored.grace_principal_periods == 2
