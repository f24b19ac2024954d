"""Rate changes inside a loan against Apache Fineract's expected schedules (ProgressiveEMICalculatorTest and
LoanInterestRateChange.feature), to the cent.

Fineract applies a new rate from the day before the reschedule's date: its change "on 15 February" is
fairlend's change `effective` 14 February (the days before it at the old rate). Its EMI adjustment moves the
installment a cent when the last would stray by more than half the installments' count in cents, the last
allowed above the others; fairlend's installment is the plain annuity's, so where that adjustment fires
(C3968) the interest of every period agrees and the installments differ by that cent, the residue landing
in the last either way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.money import Money, Rounding
from tests.lending.conftest import product

pytestmark = pytest.mark.backends("sqlite")

# Fineract's loan: 100 at 7 % for 6 months on 360/30, disbursed 2024-01-01 (C3217's schedule before the change).
BEFORE = [(1643, 58), (1652, 49), (1662, 39), (1672, 29), (1681, 20), (1690, 10)]


def _changed(
    container: Container,
    clock: FixedClock,
    opened: date,
    amount: int,
    rates: tuple[str, str],
    term: int,
    effective: date,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(principal, interest) of each installment before and after the change."""
    clock.set(datetime(opened.year, opened.month, opened.day, 2, tzinfo=UTC))
    clock.set_business_date(opened)
    p = container.lending.products.define(
        product(code=f"peer-{term}", rate=Decimal(rates[0]), term=term, rounding=Rounding.HALF_EVEN)
    )
    loan_id = container.lending.book_loan("brw_peer", p.code, Money(amount, "CNY"))

    def rows() -> list[tuple[int, int]]:
        return [(i.principal.minor, i.interest.minor) for i in container.lending.loan_detail(loan_id).schedule]

    before = rows()
    container.lending.change_rate(loan_id, Decimal(rates[1]), operator_id="op_peer", effective=effective)
    return before, rows()


def test_fineract_c3217_a_change_to_4_percent_from_the_second_period_agrees_to_the_cent(
    container: Container, clock: FixedClock
) -> None:
    # ProgressiveEMICalculatorTest test_reschedule_interest_on0201_4per_…; the due figures of e2e C3217.
    before, after = _changed(container, clock, date(2024, 1, 1), 10_000, ("0.07", "0.04"), 6, date(2024, 2, 1))
    assert before == BEFORE
    assert after == [(1643, 58), (1660, 28), (1666, 22), (1671, 17), (1677, 11), (1683, 6)]
    assert [p + i for p, i in after[1:]] == [1688] * 4 + [1689]


def test_fineract_a_change_in_the_middle_of_february_splits_the_period_by_its_days_and_agrees_to_the_cent(
    container: Container, clock: FixedClock
) -> None:
    # test_reschedule_interest_on0215_4per_…: 13 days at 7 %, 16 at 4 % (83.57 x 0.00445 = 0.37), then 16.90.
    _, after = _changed(container, clock, date(2024, 1, 1), 10_000, ("0.07", "0.04"), 6, date(2024, 2, 14))
    assert after == [(1643, 58), (1653, 37), (1668, 22), (1673, 17), (1679, 11), (1684, 6)]
    assert [p + i for p, i in after[1:]] == [1690] * 5


def test_fineract_c3968_zero_to_12_percent_agrees_in_every_interest_and_by_its_emi_adjustment_in_the_installments(
    container: Container, clock: FixedClock
) -> None:
    # 1,000 at 0 % for 4 months from 2025-04-01, 12 % from 2025-05-01 (the reschedule "from 2 May").
    before, after = _changed(container, clock, date(2025, 4, 1), 100_000, ("0", "0.12"), 4, date(2025, 5, 1))
    assert before == [(25_000, 0)] * 4
    assert [i for _, i in after] == [0, 750, 502, 252]  # Fineract: 7.50, 5.02, 2.52
    # Fineract: 247.51, 249.99, 252.50 (255.01, 255.01, 255.02); the plain annuity is 255.0166 -> 255.02.
    assert [p for p, _ in after] == [25_000, 24_752, 25_000, 25_248]
    assert [p + i for p, i in after[1:]] == [25_502, 25_502, 25_500]
