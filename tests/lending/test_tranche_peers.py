"""A tranche against Apache Fineract's own expected figures (LoanChargesTrancheDisbursement.feature, C3650).

docs/lending.md, "Tranches": the case, and the convention that differs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.lending.model import EmiMethod
from fairlend.lending.views import ScheduleChanged
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import cny, eod_through


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 1, 1, 2, 0, tzinfo=UTC), date(2024, 1, 1))


Row = tuple[date, int, int]


def _rows(container: Container, loan_id: str) -> list[Row]:
    return [(i.due_date, i.principal.minor, i.interest.minor) for i in container.lending.loan_detail(loan_id).schedule]


def _c3650(container: Container, clock: FixedClock, emi: EmiMethod) -> tuple[ScheduleChanged, list[Row]]:
    """100 of an approved 130 at 7 % on 360/30 for 6 months from 1 January 2024, the first two installments
    paid on their due dates, 30 more paid out on 3 March: the tranche and the four periods after it."""
    container.lending.products.define(
        product(code="fineract-c3650", rate=Decimal("0.07"), term=6, max_tranches=2, late_fee=0, emi_method=emi)
    )
    loan_id = container.lending.book_loan("brw_1", "fineract-c3650", cny("100"), approved=cny("130"))
    assert _rows(container, loan_id)[:2] == [(date(2024, 2, 1), 1_643, 58), (date(2024, 3, 1), 1_652, 49)]
    for row in container.lending.loan_detail(loan_id).schedule[:2]:
        eod_through(container, clock, row.due_date - timedelta(days=1))
        container.lending.repay(loan_id, Money(row.principal.minor + row.interest.minor, "CNY"))
    eod_through(container, clock, date(2024, 3, 2))
    done = container.lending.disburse_tranche(loan_id, cny("30"), operator_id="op_1")
    rest = [r for r in _rows(container, loan_id) if r[0] > date(2024, 3, 1)]
    assert sum(p for _, p, _ in rest) == 9_705 and sum(i for _, _, i in rest) == 55 + 43 + 28 + 14
    return done, rest


def test_fineract_c3650_on_a_progressive_product_agrees_on_the_installment_and_on_every_period_s_interest(
    container: Container, clock: FixedClock
) -> None:
    """Fineract's LoanChargesTrancheDisbursement.feature, C3650 (its tranche charge aside), on a progressive
    loan as Fineract's is: 24.06 + 0.55, 24.18 + 0.43, 24.33 + 0.28, 24.48 + 0.14 (24.61 a month).

    The rebuild's EMI is the product's: each period's own rate, period 3 from the tranche's day 28 / 360 of
    7 %, the rest 7 % / 12, so 97.05 / (sum of the discount factors) = 24.6078, 24.61, Fineract's. Every
    period's interest agrees to the cent (period 3: the 0.02 earned on 67.05 over 1-3 March, carried, and
    97.05 x 7 % x 28 / 360 = 0.53). Periods 4 and 5 agree to the cent; period 3's principal is 0.02 more
    (fairlend carries the 0.02 earned before the tranche beside the installment, Fineract pays it out of
    it), so the last's is 0.02 less."""
    done, rest = _c3650(container, clock, EmiMethod.PROGRESSIVE)
    assert done.carried_interest.minor == 2 and done.installment.minor == 2_461
    assert rest == [
        (date(2024, 4, 1), 2_408, 2 + 53),  # Fineract: 24.06 + 0.55 (the 0.02 inside the 24.61)
        (date(2024, 5, 1), 2_418, 43),  # 24.18 + 0.43
        (date(2024, 6, 1), 2_433, 28),  # 24.33 + 0.28
        (date(2024, 7, 1), 2_446, 14),  # 24.48 + 0.14
    ]


def test_fineract_c3650_on_a_nominal_product_keeps_the_plain_annuity_of_the_rest(
    container: Container, clock: FixedClock
) -> None:
    """The same loan on the default (nominal) EMI: the installment is the annuity of 97.05 over the 4 dates at
    7 % / 12, 24.6174, so 24.62 (the last takes the residue: 24.43 + 0.14), every period's interest as
    Fineract's."""
    done, rest = _c3650(container, clock, EmiMethod.NOMINAL)
    assert done.carried_interest.minor == 2 and done.installment.minor == 2_462
    assert rest == [
        (date(2024, 4, 1), 2_409, 2 + 53),
        (date(2024, 5, 1), 2_419, 43),
        (date(2024, 6, 1), 2_434, 28),
        (date(2024, 7, 1), 2_443, 14),
    ]
