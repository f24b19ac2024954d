"""Interest recalculation against Apache Fineract's own expected figures (EMICalculation-Part2.feature, C3238).

C3238, "UC13 - 1st installment paid on due date, 2nd installment overdue with
partial late repayment, interest recalculation: daily, till preclose": 100 at
7 % on 360/30 (fairlend's 30/360) for 6 months, opened 1 January 2024. The
first installment is paid on its due date, 10 of the second on 5 March, and
Fineract's schedule of 10 March shows period 3's interest as 0.41 (0.39
scheduled), the loan's interest as 2.07 (2.05 scheduled). Fineract's payment
allocation there pays past-due principal before interest (the 10 is all
principal); fairlend's waterfall is product data, set the same way here.

The one difference is a convention: Fineract keeps the installment at 17.01
and moves the principal the extra interest displaces (0.02) to the last
installment (16.60 in period 3, 17.02 last); fairlend keeps the principal
schedule and bills the extra interest on top (period 3 is 16.62 + 0.41 =
17.03, the last 17.00). Interest and principal in total agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.lending.model import DayCount, InterestRecalculation, LoanState
from fairlend.lending.waterfall_model import Component, Timing, Waterfall
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import eod_through

PRINCIPAL_FIRST = Waterfall.from_orders(
    (Timing.PAST_DUE, Timing.DUE, Timing.NOT_YET_DUE),
    (Component.PENALTY, Component.FEE, Component.PRINCIPAL, Component.INTEREST),
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 1, 1, 2, 0, tzinfo=UTC), date(2024, 1, 1))


def eur(major: str) -> Money:
    return Money.of(major, "CNY")  # the profile's currency; Fineract's figures are in EUR, the cents are the same


def _cents(*amounts: str) -> list[int]:
    return [int(Decimal(a) * 100) for a in amounts]


def test_fineract_c3238_a_partial_late_payment_makes_period_3s_interest_0_41_and_the_loans_2_07(
    container: Container, clock: FixedClock
) -> None:
    container.lending.products.define(
        product(
            code="fineract-c3238",
            rate=Decimal("0.07"),
            term=6,
            day_count=DayCount.THIRTY_360,
            penalty_rate=Decimal("0"),
            late_fee=0,
            waterfall=PRINCIPAL_FIRST,
            interest_recalculation=InterestRecalculation.DAILY,
        )
    )
    loan_id = container.lending.book_loan("brw_a", "fineract-c3238", eur("100"))
    before = container.lending.loan_detail(loan_id).schedule
    assert [i.interest.minor for i in before] == _cents("0.58", "0.49", "0.39", "0.29", "0.20", "0.10")
    assert [i.principal.minor for i in before] == _cents("16.43", "16.52", "16.62", "16.72", "16.81", "16.90")

    eod_through(container, clock, date(2024, 1, 31))
    first = container.lending.repay(loan_id, eur("17.01"))
    assert (first.principal_paid, first.interest_paid) == (eur("16.43"), eur("0.58"))

    eod_through(container, clock, date(2024, 3, 4))
    partial = container.lending.repay(loan_id, eur("10"))
    assert (partial.principal_paid, partial.interest_paid) == (eur("10"), eur("0"))

    # Fineract's 10 March: 7.01 of the second installment outstanding. Paid then, nothing is overdue after.
    eod_through(container, clock, date(2024, 3, 9))
    rest = container.lending.repay(loan_id, eur("7.01"))
    assert (rest.principal_paid, rest.interest_paid) == (eur("6.52"), eur("0.49"))

    eod_through(container, clock, date(2024, 3, 31))
    third = container.lending.loan_detail(loan_id).schedule[2]
    # 16.52 for 4 days and 6.52 for 5 at 7 % / 360: 0.0192, so 0.39 + 0.02 = 0.41, Fineract's figure.
    assert third.interest == eur("0.41")
    assert third.principal == eur("16.62")  # Fineract: 16.60, the installment kept at 17.01 (the convention above)
    assert clock.business_date() == third.due_date
    result = container.lending.repay(loan_id, third.principal + third.interest)
    paid_interest = first.interest_paid + partial.interest_paid + rest.interest_paid + result.interest_paid
    for installment in container.lending.loan_detail(loan_id).schedule[3:]:
        eod_through(container, clock, installment.due_date - timedelta(days=1))
        result = container.lending.repay(loan_id, installment.principal + installment.interest)
        assert result.days_past_due == 0
        paid_interest += result.interest_paid
    assert result.state is LoanState.SETTLED
    assert paid_interest == eur("2.07")  # Fineract's total interest
    assert container.verify() == []
