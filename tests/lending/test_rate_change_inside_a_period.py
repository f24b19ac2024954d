"""A rate change from a day inside a period: the days before it at the old rate, the rest at the new, rounded once.

The pricing lives in the period (`Period.rate_from`, `rated`), so the interest, the equal installment and
every rebuild (a lender's change, a tranche, a hardship plan's reschedule) price it one way."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fairlend.lending.model import DayCount, EmiMethod, Method
from fairlend.lending.position_model import LoanPosition, PlannedInstallment
from fairlend.lending.schedule import Period, interest_for, round_minor, year_fraction
from fairlend.lending.schedule.rebuild import (
    Rebuild,
    amortize_position,
    as_planned,
    kept_before,
    remaining_periods,
)
from fairlend.money import Rounding
from tests.lending.test_rebuild_property import PRICING, positions, rebuilt


def _change(p: LoanPosition, rate: Decimal, day: date) -> Rebuild:
    periods = remaining_periods(p)
    return Rebuild(
        p.principal,
        rate,
        periods,
        Method.EQUAL_INSTALLMENT,
        rate_from=day,
        previous_rate=p.rate,
        kept_principal=kept_before(p, periods, day),
    )


def test_the_hand_worked_change_on_the_tenth_day_prices_ten_days_old_and_twenty_new_rounded_once() -> None:
    """10,000 at 18 % on 30/360 from 2 March, 12 % from 12 March (docs/lending.md): 116.67, 889.95 a month."""
    period = Period(date(2026, 3, 2), date(2026, 4, 2), 1, rate_from=date(2026, 3, 12), rate_before=Decimal("0.18"))
    exact = Decimal(1_000_000) * Decimal("0.18") * 10 / 360 + Decimal(1_000_000) * Decimal("0.12") * 20 / 360
    assert interest_for(1_000_000, Decimal("0.12"), period, DayCount.THIRTY_360, Rounding.HALF_UP) == 11_667
    assert round_minor(exact, Rounding.HALF_UP) == 11_667


@st.composite
def inside(draw: st.DrawFn) -> tuple[LoanPosition, Decimal, date]:
    """A position on a plain equal-installment product and a rate change from a day strictly inside one of
    its remaining periods."""
    p = draw(positions())
    p = replace(p, method=Method.EQUAL_INSTALLMENT, installment_rounding=1, rebalance_installment=False)
    periods = remaining_periods(p)
    k = draw(st.integers(0, len(periods) - 1))
    period = periods[k]
    days = (period.due - period.start).days
    assume(days >= 2)
    day = period.start + timedelta(days=draw(st.integers(1, days - 1)))
    return p, draw(st.decimals(Decimal("0"), PRICING.apr_cap, places=4)), day


@settings(max_examples=200, deadline=None)
@given(inside())
def test_the_period_containing_the_change_is_its_days_at_each_rate_rounded_once_and_no_fen_is_made(
    change: tuple[LoanPosition, Decimal, date],
) -> None:
    p, rate, day = change
    terms = _change(p, rate, day)
    lines = rebuilt(p, terms)
    if lines is None:
        return
    assert sum(line.principal for line in lines) == p.principal
    owed = p.principal
    for line in lines:
        if line.start < day < line.due or (line.start == p.as_of and p.as_of < day < line.due):
            period = next(q for q in terms.periods if q.due == line.due)
            whole = year_fraction(p.day_count, period)
            head = min(whole, year_fraction(p.day_count, Period(period.start, day)))
            exact = Decimal(owed) * p.rate * head + Decimal(owed) * rate * (whole - head)
            assert line.interest == round_minor(exact, p.rounding)
            low, high = sorted((p.rate, rate))
            assert round_minor(Decimal(owed) * low * whole, p.rounding) <= line.interest
            assert line.interest <= round_minor(Decimal(owed) * high * whole, p.rounding)
        owed -= line.principal
        assert owed >= 0
    assert owed == 0


@settings(max_examples=200, deadline=None)
@given(positions(), st.decimals(Decimal("0"), PRICING.apr_cap, places=4), st.data())
def test_a_change_on_a_due_date_is_today_s_result_the_months_before_kept_and_the_rest_at_the_new_rate(
    p: LoanPosition, rate: Decimal, data: st.DataObject
) -> None:
    p = replace(p, method=Method.EQUAL_INSTALLMENT)
    periods = remaining_periods(p)
    assume(len(periods) >= 2)
    j = data.draw(st.integers(1, len(periods) - 1))
    lines = rebuilt(p, _change(p, rate, periods[j - 1].due))
    if lines is None:
        return
    kept = kept_before(p, periods, periods[j - 1].due)
    assert all(
        line.interest == interest_for(b, p.rate, q, p.day_count, p.rounding)
        for line, b, q in _kept(p, lines, periods, len(kept))
    )
    left = p.principal - sum(line.principal for line in lines[: len(kept)])
    rest = as_planned(
        amortize_position(p, left, rate, periods[len(kept) :], Method.EQUAL_INSTALLMENT), periods[len(kept) :]
    )
    assert [(r.principal, r.interest) for r in lines[len(kept) :]] == [(r.principal, r.interest) for r in rest]


def _kept(
    p: LoanPosition, lines: Sequence[PlannedInstallment], periods: Sequence[Period], n: int
) -> Iterator[tuple[PlannedInstallment, int, Period]]:
    owed = p.principal
    for line, q in zip(lines[:n], periods[:n], strict=True):
        yield line, owed, q
        owed -= line.principal


@settings(max_examples=200, deadline=None)
@given(positions(), st.decimals(Decimal("0"), PRICING.apr_cap, places=4))
def test_a_change_on_the_period_s_first_day_prices_the_whole_period_at_the_new_rate(
    p: LoanPosition, rate: Decimal
) -> None:
    periods = remaining_periods(p)
    on_first_day = rebuilt(p, _change(p, rate, p.as_of))
    plain = rebuilt(p, Rebuild(p.principal, rate, periods, Method.EQUAL_INSTALLMENT))
    assert on_first_day == plain
    if plain:
        assert plain[0].interest == interest_for(p.principal, rate, periods[0], p.day_count, p.rounding)


@settings(max_examples=200, deadline=None)
@given(inside())
def test_a_progressive_installment_prices_the_changed_period_so_only_the_last_absorbs_the_residue(
    change: tuple[LoanPosition, Decimal, date],
) -> None:
    """Every installment after the change is the same, its interest the split period's as charged; the last
    differs only by the rounding carried through the periods (no longer by the old rate's days)."""
    p, rate, day = change
    p = replace(p, emi_method=EmiMethod.PROGRESSIVE)
    periods = remaining_periods(p)
    lines = rebuilt(p, _change(p, rate, day))
    if lines is None:
        return
    kept = len(kept_before(p, periods, day))
    totals = [line.principal + line.interest for line in lines[kept:]]
    if len(totals) < 2:
        return
    assert len(set(totals[:-1])) == 1
    high = max(p.rate, rate)
    growth = sum((1 + 2 * high / p.frequency.periods_per_year) ** k for k in range(len(totals)))
    assert abs(totals[-1] - totals[0]) <= 2 * growth + 1


def test_a_change_inside_a_fifteen_day_period_on_act_360_prices_its_days_by_360() -> None:
    period = Period(date(2026, 1, 1), date(2026, 1, 16), rate_from=date(2026, 1, 6), rate_before=Decimal("0.24"))
    got = interest_for(1_000_000, Decimal("0.12"), period, DayCount.ACT_360, Rounding.HALF_UP)
    assert got == round_minor(Decimal(1_000_000) * (Decimal("0.24") * 5 + Decimal("0.12") * 10) / 360, Rounding.HALF_UP)
