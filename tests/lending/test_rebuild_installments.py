"""A change inside a schedule re-amortises by the product's installment settings, worked by hand.

The loan: 97.05 owed at 7 % on 30/360, rebuilt on 3 March 2024 over the due dates 1 April to 1 July (a
tranche's day in Fineract's C3650: tests/lending/test_tranche_peers.py). Period 1 runs 28 days (30/360
from 3 March to 1 April), the others whole months.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from fairlend.lending.model import DayCount, EmiMethod, Frequency, LoanState, Method
from fairlend.lending.position_model import LoanPosition, RemainingInstallment
from fairlend.lending.schedule.rebuild import Rebuild, rebuild, regular_installment, remaining_periods
from fairlend.money import Rounding

DUES = [date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1), date(2024, 7, 1)]
STARTS = [date(2024, 3, 1), *DUES[:-1]]
POSITION = LoanPosition(
    loan_id="loan_1",
    borrower_id="brw_1",
    currency="CNY",
    state=LoanState.ACTIVE,
    product_code="p",
    product_version=1,
    method=Method.EQUAL_INSTALLMENT,
    frequency=Frequency.MONTHLY,
    day_count=DayCount.THIRTY_360,
    rounding=Rounding.HALF_UP,
    installment_rounding=1,
    rate=Decimal("0.07"),
    open_date=date(2024, 1, 1),
    max_term=0,
    grace_days=0,
    as_of=date(2024, 3, 3),
    schedule_version=1,
    installment=1_701,
    principal=6_705,
    principal_billed=0,
    interest_billed=0,
    accrued_interest=2,
    penalty=0,
    fees=0,
    paid=0,
    days_past_due=0,
    last_due=DUES[-1],
    remaining=tuple(
        RemainingInstallment(3 + k, s, d, 1_676, 0) for k, (s, d) in enumerate(zip(STARTS, DUES, strict=True))
    ),
    emi_method=EmiMethod.PROGRESSIVE,
)


def _rebuilt(position: LoanPosition) -> list[tuple[int, int]]:
    terms = Rebuild(9_705, Decimal("0.07"), remaining_periods(position), Method.EQUAL_INSTALLMENT)
    lines = rebuild(position, terms)
    assert [line.due for line in lines] == DUES and sum(line.principal for line in lines) == 9_705
    return [(line.principal, line.interest) for line in lines]


def test_a_progressive_product_re_amortises_with_each_period_s_own_rate() -> None:
    """Each period's rate: 7 % x 28 / 360 = 0.0054444 for the broken first, 7 % / 12 = 0.0058333 after. The
    discount factors 0.994585, 0.988817, 0.983082, 0.977381 sum to 3.943865; 97.05 / 3.943865 = 24.6078, so
    24.61. Interest: 97.05 x 0.0054444 = 0.53; 72.97 x 0.0058333 = 0.43; 48.79: 0.28; 24.46: 0.14."""
    assert _rebuilt(POSITION) == [(2_408, 53), (2_418, 43), (2_433, 28), (2_446, 14)]


def test_a_nominal_product_re_amortises_with_rate_over_twelve_whatever_the_first_period_s_days() -> None:
    """97.05 at 0.0058333 over 4 periods: 24.6174, so 24.62 (the 28-day first period at its days: 0.53)."""
    assert _rebuilt(replace(POSITION, emi_method=EmiMethod.NOMINAL)) == [
        (2_409, 53),
        (2_419, 43),
        (2_434, 28),
        (2_443, 14),
    ]


def test_the_re_amortised_installment_is_the_product_s_multiple_rounded_by_its_mode() -> None:
    """Whole yuan rounded up: 24.6078 becomes 25.00; the interest rounds up too (72.58 x 0.0058333 = 0.4234:
    0.43; 48.01: 0.2801, 0.29); the last takes the residue, 23.30 + 0.14."""
    lines = _rebuilt(replace(POSITION, installment_rounding=100, rounding=Rounding.UP))
    assert lines == [(2_447, 53), (2_457, 43), (2_471, 29), (2_330, 14)]


def test_a_re_balancing_product_re_amortises_to_the_smallest_multiple_whose_last_is_no_larger() -> None:
    """Rounded down to whole yuan, 24.6078 is 24.00 and the last would be 26.43; re-balanced, 24.00 is too
    low, so 25.00, whose last is 23.39 (the interest rounded down: 0.52, 0.42, 0.27, 0.13)."""
    down = replace(POSITION, installment_rounding=100, rounding=Rounding.DOWN)
    assert _rebuilt(down)[-1] == (2_628, 15)
    balanced = replace(down, rebalance_installment=True)
    assert _rebuilt(balanced) == [(2_448, 52), (2_458, 42), (2_473, 27), (2_326, 13)]
    terms = Rebuild(9_705, Decimal("0.07"), remaining_periods(balanced), Method.EQUAL_INSTALLMENT)
    assert regular_installment(rebuild(balanced, terms)) == 2_500
