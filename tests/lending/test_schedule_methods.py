"""Interest methods, grace, calendars and installments: hand-worked from each definition, and Fineract's own cases."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import fairlend.web
from fairlend.errors import Invalid
from fairlend.lending.model import DayCount, EmiMethod, Frequency, InterestMethod, Method, Product
from fairlend.lending.schedule import (
    Period,
    amortize,
    annuity,
    annuity_of_rates,
    build_schedule,
    interest_for,
    round_minor,
    schedule_periods,
)
from fairlend.money import Rounding
from tests.lending.conftest import product

OPEN = date(2026, 1, 1)


def _rows(product_: Product, amount: int, opened: date = OPEN, **kwargs: object) -> list[tuple[int, int, int]]:
    return [(ln.principal, ln.interest, ln.total) for ln in build_schedule(product_, amount, opened, **kwargs).lines]  # type: ignore[arg-type]


# -- 1. interest methods -------------------------------------------------------------------------------


def test_flat_interest_charges_the_original_principal_every_month() -> None:
    # 12,000 at 12 % flat for 12 months: 120 a month (12,000 x 12 % / 12), 1,000 of principal, 1,120 each.
    flat = product(rate=Decimal("0.12"), interest_method=InterestMethod.FLAT)
    assert _rows(flat, 1_200_000) == [(100_000, 12_000, 112_000)] * 12
    # Equal principal on a flat rate is the same schedule; declining balance charges less in all.
    assert _rows(
        product(rate=Decimal("0.12"), interest_method=InterestMethod.FLAT, method=Method.EQUAL_PRINCIPAL), 1_200_000
    ) == (_rows(flat, 1_200_000))
    declining = build_schedule(product(rate=Decimal("0.12")), 1_200_000, OPEN)
    assert declining.total_interest < 144_000 == build_schedule(flat, 1_200_000, OPEN).total_interest


def test_a_flat_loan_costs_more_than_its_nominal_rate_says() -> None:
    # The same 12 % nominal, flat, is an APR of about 21.5 %: interest is charged on money already repaid.
    schedule = build_schedule(product(rate=Decimal("0.12"), interest_method=InterestMethod.FLAT), 1_200_000, OPEN)
    assert schedule.apr == Decimal("0.2146")


def test_flat_weekly_interest_is_the_principal_at_a_fifty_second_of_the_rate() -> None:
    lines = build_schedule(
        product(rate=Decimal("0.104"), interest_method=InterestMethod.FLAT, frequency=Frequency.WEEKLY, term=10),
        520_000,
        OPEN,
    ).lines
    assert {ln.interest for ln in lines} == {1_040}  # 5,200 x 10.4 % / 52 = 10.40
    assert sum(ln.principal for ln in lines) == 520_000


def test_a_flat_loans_broken_first_period_charges_its_days_by_the_day_count() -> None:
    # First due 45 days after opening on ACT/365: 10,000 x 18 % x 45/365 = 221.92, then 150.00 a month.
    lines = build_schedule(
        product(interest_method=InterestMethod.FLAT, day_count=DayCount.ACT_365, term=3),
        1_000_000,
        OPEN,
        first_due=date(2026, 2, 15),
    ).lines
    assert [ln.interest for ln in lines] == [22_192, 15_000, 15_000]
    assert [ln.due for ln in lines] == [date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15)]


# -- 2. grace -------------------------------------------------------------------------------------------


def test_grace_on_principal_pays_interest_only_then_amortises_over_the_periods_left() -> None:
    rows = _rows(product(rate=Decimal("0.12"), term=6, grace_principal_periods=2), 1_000_000)
    assert rows[:2] == [(0, 10_000, 10_000)] * 2
    emi = round_minor(annuity(1_000_000, Decimal("0.01"), 4), Rounding.HALF_UP)  # 2,562.81
    assert emi == 256_281
    assert [total for _, _, total in rows[2:-1]] == [emi] * 3
    assert sum(p for p, _, _ in rows) == 1_000_000


def test_grace_on_interest_defers_the_first_periods_interest_to_the_next_installment() -> None:
    base = _rows(product(rate=Decimal("0.12"), term=6), 1_000_000)
    rows = _rows(product(rate=Decimal("0.12"), term=6, grace_interest_periods=2), 1_000_000)
    # The principal is the same schedule; the first two periods' interest is due with the third.
    assert [p for p, _, _ in rows] == [p for p, _, _ in base]
    assert [i for _, i, _ in rows[:2]] == [0, 0]
    assert rows[2][1] == base[0][1] + base[1][1] + base[2][1]
    assert sum(i for _, i, _ in rows) == sum(i for _, i, _ in base)


def test_a_period_of_full_grace_asks_nothing_and_joins_the_next_installment() -> None:
    schedule = build_schedule(
        product(rate=Decimal("0.12"), term=6, grace_principal_periods=2, grace_interest_periods=1), 1_000_000, OPEN
    )
    first = schedule.lines[0]
    # Period 1 (nothing to pay) and period 2 are one installment, due at the end of period 2: both interests.
    assert (first.seq, first.start, first.due, first.principal, first.interest) == (
        1,
        OPEN,
        date(2026, 3, 1),
        0,
        20_000,
    )
    assert len(schedule.lines) == 5 and schedule.period_index == (2, 3, 4, 5, 6)
    assert schedule.installment == 256_281  # the regular installment, not the grace one


def test_interest_free_periods_charge_nothing_and_the_installment_prices_them_at_zero() -> None:
    rows = _rows(product(rate=Decimal("0.12"), term=3, interest_free_periods=2), 300_000)
    emi = round_minor(annuity_of_rates(300_000, [Decimal(0), Decimal(0), Decimal("0.01")]), Rounding.HALF_UP)
    assert [i for _, i, _ in rows] == [0, 0, rows[2][1]]
    assert rows[0][2] == rows[1][2] == emi == 100_331  # 3,000 / (1 + 1 + 1/1.01)
    assert rows[2][1] == round_minor(Decimal(300_000 - 2 * emi) * Decimal("0.01"), Rounding.HALF_UP)


def test_grace_as_long_as_the_term_or_on_a_single_payment_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        product(term=3, grace_principal_periods=3)
    assert refused.value.code == "product_grace_invalid"
    with pytest.raises(Invalid) as refused:
        build_schedule(product(term=6, grace_interest_periods=3), 100_000, OPEN, term=3)
    assert refused.value.code == "grace_invalid"
    with pytest.raises(Invalid) as refused:
        build_schedule(product(method=Method.SINGLE_PAYMENT, term=6, interest_free_periods=1), 100_000, OPEN)
    assert refused.value.code == "grace_single_payment"


# -- 3. calendars and periods ---------------------------------------------------------------------------


def test_semi_monthly_dues_fall_on_the_day_and_fifteen_days_later_through_short_months() -> None:
    lines = build_schedule(product(frequency=Frequency.SEMIMONTHLY, term=5), 500_000, date(2026, 1, 31)).lines
    assert [ln.due for ln in lines] == [
        date(2026, 2, 15),
        date(2026, 2, 28),
        date(2026, 3, 15),
        date(2026, 3, 31),
        date(2026, 4, 15),
    ]


def test_every_fifteen_days_adds_fifteen_days_and_prices_each_at_15_365_of_the_rate() -> None:
    lines = build_schedule(
        product(
            frequency=Frequency.FIFTEEN_DAYS, term=4, day_count=DayCount.ACT_365, method=Method.INTEREST_ONLY_BALLOON
        ),
        1_000_000,
        OPEN,
    ).lines
    assert [(b.due - a.due).days for a, b in itertools.pairwise(lines)] == [15] * 3
    assert {ln.interest for ln in lines} == {7_397}  # 10,000 x 18 % x 15/365 = 73.97


def test_actual_actual_splits_a_period_at_new_year_by_each_years_length() -> None:
    # 12 Dec 2023 to 12 Jan 2024: 20 days of 2023 over 365 and 11 of 2024 over 366 (ISDA).
    period = Period(date(2023, 12, 12), date(2024, 1, 12))
    expected = Decimal(1_000_000) * Decimal("0.12") * (Decimal(20) / 365 + Decimal(11) / 366)
    assert interest_for(1_000_000, Decimal("0.12"), period, DayCount.ACT_ACT, Rounding.HALF_UP) == 10_182
    assert round_minor(expected, Rounding.HALF_UP) == 10_182


def test_a_364_day_year_charges_four_weeks_as_28_364() -> None:
    period = Period(date(2026, 1, 1), date(2026, 1, 29))
    assert interest_for(1_000_000, Decimal("0.13"), period, DayCount.ACT_364, Rounding.HALF_UP) == 10_000
    assert interest_for(1_000_000, Decimal("0.13"), period, DayCount.ACT_365, Rounding.HALF_UP) == 9_973


def test_a_chosen_first_due_date_makes_a_broken_first_period_priced_by_its_days() -> None:
    # Opened 1 Jan, first due 20 Feb on ACT/365: the first period is 50 days, the rest whole months.
    lines = build_schedule(
        product(day_count=DayCount.ACT_365, term=3), 300_000, OPEN, first_due=date(2026, 2, 20)
    ).lines
    assert [ln.due for ln in lines] == [date(2026, 2, 20), date(2026, 3, 20), date(2026, 4, 20)]
    assert lines[0].interest == round_minor(Decimal(300_000) * Decimal("0.18") * 50 / 365, Rounding.HALF_UP)


def test_a_broken_first_period_keeps_the_installments_level_the_last_taking_only_the_rounding_residue() -> None:
    # 10,000 at 12 % on 30/360 from 1 January, first due 20 March (79 days by 30/360): the nominal installment is
    # the annuity of that period's own rate, then 1 % a month, so the odd days' interest is not left to the last.
    lines = build_schedule(product(rate=Decimal("0.12"), term=12), 1_000_000, OPEN, first_due=date(2026, 3, 20)).lines
    rates = [Decimal("0.12") * 79 / 360] + [Decimal("0.01")] * 11
    emi = round_minor(annuity_of_rates(1_000_000, rates), Rounding.HALF_UP)
    assert lines[0].interest == 26_333 and emi == 90_286
    assert [ln.total for ln in lines[:-1]] == [emi] * 11 and abs(lines[-1].total - emi) <= 12


@pytest.mark.parametrize(("days", "before"), [(5, "0.1978"), (31, "0.2290"), (78, "0.2867")])
def test_the_apr_counts_a_broken_first_periods_odd_days_not_a_whole_period(days: int, before: str) -> None:
    # 10,000 at 23 % on ACT/365 over 12 months: priced by its days, the first period costs what its days cost,
    # so the APR stays the loan's rate within the rounding whatever the first period's length. Counted as a
    # whole period, 5 days read as 19.78 % (understated) and 78 days as 28.67 % (above a 24 % cap).
    p = product(rate=Decimal("0.23"), term=12, day_count=DayCount.ACT_365)
    schedule = build_schedule(p, 1_000_000, OPEN, first_due=OPEN + timedelta(days=days))
    assert abs(schedule.apr - Decimal("0.23")) < Decimal("0.0015")
    assert days == 31 or abs(schedule.apr - Decimal(before)) > Decimal("0.02")


def test_a_products_due_day_puts_every_installment_on_it_the_first_at_least_its_fewest_days_away() -> None:
    # Due on the 10th, the first period at least 15 days: opened 1 Jan -> 10 Feb (40 days, ACT/365).
    p = product(day_count=DayCount.ACT_365, term=3, due_day=10, first_period_min_days=15)
    lines = build_schedule(p, 300_000, OPEN).lines
    assert [ln.due for ln in lines] == [date(2026, 2, 10), date(2026, 3, 10), date(2026, 4, 10)]
    assert lines[0].interest == round_minor(Decimal(300_000) * Decimal("0.18") * 40 / 365, Rounding.HALF_UP)
    # Opened on the 28th the 10th of next month is 13 days away: one month later; on the 5th, the same month's.
    assert build_schedule(p, 300_000, date(2026, 1, 28)).lines[0].due == date(2026, 3, 10)
    assert build_schedule(replace(p, first_period_min_days=0), 300_000, date(2026, 1, 5)).lines[0].due == date(
        2026, 1, 10
    )
    assert build_schedule(p, 300_000, date(2026, 1, 10)).lines[0].due == date(2026, 2, 10)  # never the open day
    # The borrower's own first due date is taken over the product's day.
    chosen = build_schedule(p, 300_000, OPEN, first_due=date(2026, 2, 20)).lines
    assert [ln.due for ln in chosen][:2] == [date(2026, 2, 20), date(2026, 3, 20)]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"due_day": 29}, "product_due_day_invalid"),
        ({"due_day": -1}, "product_due_day_invalid"),
        ({"due_day": 10, "frequency": Frequency.WEEKLY}, "product_due_day_invalid"),
        ({"due_day": 10, "method": Method.SINGLE_PAYMENT, "term": 1}, "product_due_day_invalid"),
        ({"first_period_min_days": 91}, "product_first_period_invalid"),
    ],
)
def test_a_due_day_the_calendar_cannot_keep_is_refused_with_its_code(changes: dict[str, object], code: str) -> None:
    with pytest.raises(Invalid) as refused:
        product(**changes)
    assert refused.value.code == code


# -- 4. installments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [(Rounding.HALF_UP, 3), (Rounding.HALF_EVEN, 2), (Rounding.UP, 3), (Rounding.DOWN, 2)],
)
def test_each_rounding_mode_settles_a_half_minor_unit_its_own_way(rounding: Rounding, expected: int) -> None:
    # 250 minor units at 12 % for a whole month is exactly 2.5.
    assert (
        interest_for(250, Decimal("0.12"), Period(OPEN, date(2026, 2, 1), 1), DayCount.THIRTY_360, rounding) == expected
    )


def test_installments_rounded_up_to_whole_yuan_leave_the_residue_in_the_last() -> None:
    lines = build_schedule(product(installment_rounding=100, rounding=Rounding.UP), 1_000_000, OPEN).lines
    assert {ln.total for ln in lines[:-1]} == {91_700}  # 916.80 rounded up to 917
    assert lines[-1].total < 91_700 and sum(ln.principal for ln in lines) == 1_000_000


def test_progressive_emi_equals_rate_over_twelve_on_whole_30_360_months_and_differs_on_actual_days() -> None:
    nominal, progressive = product(), product(emi_method=EmiMethod.PROGRESSIVE)
    assert _rows(nominal, 1_000_000) == _rows(progressive, 1_000_000)
    act = product(day_count=DayCount.ACT_365)
    assert (
        _rows(act, 1_000_000)[0]
        != _rows(product(day_count=DayCount.ACT_365, emi_method=EmiMethod.PROGRESSIVE), 1_000_000)[0]
    )


def test_rebalancing_picks_the_smallest_installment_whose_last_is_no_larger() -> None:
    plain = _rows(product(installment_rounding=100, rounding=Rounding.DOWN), 1_000_000)
    assert plain[-1][2] > plain[0][2]  # 916 a month leaves a last installment of 926.39
    rows = _rows(product(installment_rounding=100, rounding=Rounding.DOWN, rebalance_installment=True), 1_000_000)
    emi = rows[0][2]
    assert rows[-1][2] <= emi and emi == 91_700
    periods = schedule_periods(OPEN, Frequency.MONTHLY, 12)
    p = product()
    one_less = amortize(
        1_000_000, p.rate, periods, p.method, p.frequency, p.day_count, p.rounding, installment=emi - 100
    )
    assert one_less[-1].total > emi - 100


def test_a_fixed_installment_derives_the_term() -> None:
    schedule = build_schedule(product(rate=Decimal("0.12")), 1_000_000, OPEN, installment=100_000)
    assert len(schedule.lines) == 11 and schedule.installment == 100_000
    assert schedule.lines[-1].total == 58_985 and schedule.lines[-1].balance_after == 0
    with pytest.raises(Invalid) as refused:
        build_schedule(product(rate=Decimal("0.12")), 1_000_000, OPEN, installment=10_000)  # only the interest
    assert refused.value.code == "installment_too_small"
    with pytest.raises(Invalid) as refused:
        build_schedule(product(rate=Decimal("0.12")), 1_000_000, OPEN, installment=9_999)
    assert refused.value.code == "installment_too_small"
    with pytest.raises(Invalid) as refused:
        build_schedule(product(method=Method.EQUAL_PRINCIPAL), 1_000_000, OPEN, installment=100_000)
    assert refused.value.code == "installment_method"
    with pytest.raises(Invalid) as refused:
        build_schedule(product(max_term=12), 1_000_000, OPEN, installment=50_000)
    assert refused.value.code == "installment_term_above_max"


def test_a_product_stored_before_these_settings_reads_with_todays_behaviour() -> None:
    old = product().to_dict()
    for key in ("interest_method", "grace_principal_periods", "grace_interest_periods", "interest_free_periods"):
        del old[key]
    for key in ("emi_method", "rebalance_installment"):
        del old[key]
    read = Product.from_dict(old)
    assert read == product()
    assert Product.from_dict(
        product(interest_method=InterestMethod.FLAT, grace_principal_periods=2).to_dict()
    ) == product(interest_method=InterestMethod.FLAT, grace_principal_periods=2)


def test_every_frequency_is_named_in_both_languages_of_the_loan_page() -> None:
    locales = Path(fairlend.web.__file__).parent / "locales"
    for language in ("en", "zh_CN"):
        words = json.loads((locales / language / "lending.json").read_text("utf-8"))
        assert all(words.get(f"frequency.{f.value}") for f in Frequency), language
