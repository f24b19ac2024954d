"""A tranche against Apache Fineract's own expected figures (LoanChargesTrancheDisbursement.feature, C3650).

docs/lending.md, "Tranches": the case, and the convention that differs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import cny, eod_through


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2024, 1, 1, 2, 0, tzinfo=UTC), date(2024, 1, 1))


def _rows(container: Container, loan_id: str) -> list[tuple[date, int, int]]:
    return [(i.due_date, i.principal.minor, i.interest.minor) for i in container.lending.loan_detail(loan_id).schedule]


def test_fineract_c3650_a_second_tranche_inside_a_period_agrees_on_every_period_s_interest(
    container: Container, clock: FixedClock
) -> None:
    """Fineract's LoanChargesTrancheDisbursement.feature, C3650 (its tranche charge aside): 100 of an approved
    130 at 7 % on 360/30 for 6 months from 1 January 2024 (17.01 a month), the first two paid on their due
    dates, 30 more paid out on 3 March. Fineract: 24.06 + 0.55, 24.18 + 0.43, 24.33 + 0.28, 24.48 + 0.14.

    Every period's interest agrees to the cent: period 3 is the 0.02 earned on 67.05 over 1-3 March (carried)
    and 97.05 x 7 % x 28 / 360 = 0.53 (Fineract's 0.55 in one figure). The principal differs by convention:
    fairlend's installment is the plain annuity of 97.05 over the 4 dates at 7 % / 12 (24.62, the last takes
    the residue: 24.57), Fineract's progressive EMI prices period 3's broken interest into it (24.61)."""
    container.lending.products.define(
        product(code="fineract-c3650", rate=Decimal("0.07"), term=6, max_tranches=2, late_fee=0)
    )
    loan_id = container.lending.book_loan("brw_1", "fineract-c3650", cny("100"), approved=cny("130"))
    assert _rows(container, loan_id)[:2] == [(date(2024, 2, 1), 1_643, 58), (date(2024, 3, 1), 1_652, 49)]
    for row in container.lending.loan_detail(loan_id).schedule[:2]:
        eod_through(container, clock, row.due_date - timedelta(days=1))
        container.lending.repay(loan_id, Money(row.principal.minor + row.interest.minor, "CNY"))
    eod_through(container, clock, date(2024, 3, 2))
    done = container.lending.disburse_tranche(loan_id, cny("30"), operator_id="op_1")
    assert done.carried_interest.minor == 2 and done.installment.minor == 2_462
    rest = [r for r in _rows(container, loan_id) if r[0] > date(2024, 3, 1)]
    assert rest == [
        (date(2024, 4, 1), 2_409, 2 + 53),  # Fineract: 24.06 + 0.55
        (date(2024, 5, 1), 2_419, 43),  # 24.18 + 0.43
        (date(2024, 6, 1), 2_434, 28),  # 24.33 + 0.28
        (date(2024, 7, 1), 2_443, 14),  # 24.48 + 0.14
    ]
    assert sum(p for _, p, _ in rest) == 9_705 and sum(i for _, _, i in rest) == 55 + 43 + 28 + 14
