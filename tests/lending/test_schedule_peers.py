"""Expected schedules from Apache Fineract's own end-to-end suite (EMICalculation-Part1.feature), to the cent,
and from frappe/lending's test_loan.py, to the whole unit its assertions round to.

Where fairlend differs it is a convention, stated here and in docs/lending.md:
Fineract's actual/actual gives each day of a period to the year of the day
*after* it (12 Dec to 12 Jan: 19 days of 2023, 12 of 2024), where ISDA, which
fairlend follows, counts from the start day (20 and 11).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fairlend.lending.model import DayCount, EmiMethod
from fairlend.lending.schedule import annuity_of_rates, build_schedule
from tests.lending.conftest import product


def _minor(*amounts: str) -> list[int]:
    return [int(Decimal(a) * 100) for a in amounts]


def test_fineract_c3154_100_at_12_percent_on_30_360_for_six_months_agrees_to_the_cent() -> None:
    lines = build_schedule(product(rate=Decimal("0.12"), term=6), 10_000, date(2024, 1, 1)).lines
    assert [ln.interest for ln in lines] == _minor("1.00", "0.84", "0.67", "0.51", "0.34", "0.17")
    assert [ln.principal for ln in lines] == _minor("16.25", "16.41", "16.58", "16.74", "16.91", "17.11")
    assert [ln.total for ln in lines] == _minor(*["17.25"] * 5, "17.28")


def test_fineract_c3155_100_at_9_4822_percent_on_30_360_agrees_to_the_cent() -> None:
    lines = build_schedule(product(rate=Decimal("0.094822"), term=6), 10_000, date(2024, 1, 1)).lines
    assert [ln.interest for ln in lines] == _minor("0.79", "0.66", "0.53", "0.40", "0.27", "0.13")
    assert [ln.total for ln in lines] == _minor(*["17.13"] * 6)


def test_fineract_c3164_actual_actual_progressive_emi_iterated_agrees_to_the_cent_when_rebalanced() -> None:
    # Fineract iterates the EMI so the last installment does not exceed it: fairlend's rebalance_installment.
    p = product(
        rate=Decimal("0.1065"),
        term=5,
        day_count=DayCount.ACT_ACT,
        emi_method=EmiMethod.PROGRESSIVE,
        rebalance_installment=True,
    )
    lines = build_schedule(p, 33_177, date(2023, 12, 12)).lines
    assert [ln.interest for ln in lines] == _minor("3.00", "2.41", "1.70", "1.21", "0.59")
    assert [ln.principal for ln in lines] == _minor("65.14", "65.73", "66.44", "66.93", "67.53")
    assert [ln.total for ln in lines] == _minor(*["68.14"] * 4, "68.12")


def test_fineract_c3152_actual_actual_differs_by_one_cent_in_the_new_year_period_only() -> None:
    p = product(rate=Decimal("0.12"), term=6, day_count=DayCount.ACT_ACT, emi_method=EmiMethod.PROGRESSIVE)
    lines = build_schedule(p, 1_000_000, date(2023, 12, 12)).lines
    assert lines[0].total == 172_556  # the EMI agrees: 1,725.56
    # Fineract: 101.81 (19/365 + 12/366); ISDA: 101.82 (20/365 + 11/366). Every later period agrees.
    assert lines[0].interest == 10_182
    assert [ln.interest for ln in lines[1:]] == _minor("85.14", "64.05", "51.58", "33.45", "17.36")


def test_fineract_c3153_emi_one_cent_apart_is_the_same_new_year_convention() -> None:
    p = product(rate=Decimal("0.094822"), term=6, day_count=DayCount.ACT_ACT, emi_method=EmiMethod.PROGRESSIVE)
    assert build_schedule(p, 1_000_000, date(2023, 12, 12)).lines[0].total == 171_313
    # With Fineract's split of the first period the same formula gives Fineract's 1,713.12.
    r = Decimal("0.094822")
    fineract_rates = [r * (Decimal(19) / 365 + Decimal(12) / 366)] + [r * d / 366 for d in (31, 29, 31, 30, 31)]
    assert int(annuity_of_rates(1_000_000, fineract_rates)) == 171_312


def _units(minor: int) -> int:
    """frappe's `flt(x, 0)`: to the whole unit, half up."""
    return int((Decimal(minor) / 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def test_frappe_lending_280000_at_8_4_percent_over_20_periods_agrees_with_its_test() -> None:
    # test_loan_with_repayment_periods: EMI rounded to the whole unit, interest on actual days over 365.
    p = product(rate=Decimal("0.084"), term=20, day_count=DayCount.ACT_365, installment_rounding=100)
    schedule = build_schedule(p, 28_000_000, date(2025, 1, 27))
    assert schedule.installment == 1_505_200 and _units(schedule.total_interest) == 20_970
    assert _units(schedule.total_repayment) == 300_970 and len(schedule.lines) == 20
    for idx, principal, interest, balance in (
        (3, 13_392, 1_660, 226_979),
        (19, 14_875, 106, 0),
        (17, 14_745, 307, 29_715),
    ):
        line = schedule.lines[idx]
        assert (_units(line.principal), _units(line.interest), _units(line.balance_after)) == (
            principal,
            interest,
            balance,
        )


def test_frappe_lending_a_fixed_14000_a_period_takes_22_periods_as_in_its_test() -> None:
    # test_loan_with_fixed_amount_per_period: "Repay Fixed Amount per Period", the term derived.
    p = product(rate=Decimal("0.084"), day_count=DayCount.ACT_365)
    schedule = build_schedule(p, 28_000_000, date(2020, 10, 1), installment=1_400_000)
    assert len(schedule.lines) == 22
    assert _units(schedule.total_interest) == 22_708 and _units(schedule.total_repayment) == 302_708
