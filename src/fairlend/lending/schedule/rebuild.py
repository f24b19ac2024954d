"""Changes inside a schedule: rebuild what remains from a date with new terms, carrying interest earned so far.

One mechanism for every change to a running loan, pure: a rate change from a
date, a balance correction, a tranche disbursed (lending/changing.py), and
each hardship plan's reschedule (hardship/schedules.py). The loan's position
(`LoanPosition`, as of the business date) is the starting point; `Rebuild`
says the new terms: the principal to amortise, the rate, the periods, the
method, an optional head of interest-only or fixed installments; the position
also says how the product builds an installment (EMI method, multiple, rounding
mode, re-balancing), which the rest is re-amortised by. What the loan
already earned and did not collect (interest billed or accrued to the date,
fees, penalty) is never repriced: it is carried, without interest, as
arrears on the new installments (`carried_interest`, `carried_charges`), so

    sum(principal + arrears_principal) == the principal rebuilt
    sum(arrears_interest + arrears_fee) == what was carried

exactly, whatever the new terms; lending's `modify_in` checks the same
before it writes anything (no fen made or lost).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from fairlend.jurisdiction.model import PricingProfile
from fairlend.lending.model import EmiMethod, Frequency, Method
from fairlend.lending.position_model import LoanPosition, PlannedInstallment
from fairlend.lending.schedule.apr import annual_rate
from fairlend.lending.schedule.calendar import Period, due_date
from fairlend.lending.schedule.lines import (
    InterestBasis,
    Line,
    amortize,
    equal_installment,
    flat_interest,
    interest_for,
    round_minor,
)
from fairlend.lending.schedule.terms import rebalanced


@dataclass(frozen=True, slots=True)
class Rebuild:
    """The new terms of what remains of a loan, from its position's day.

    `periods` run from the position's day (the first one's start) to the last
    new due date. The first `interest_only` periods repay no principal; the
    next `fixed` periods pay `installment` (interest first, the rest
    principal); the rest amortise what is left by `method`. With
    `rate_from` after the position's day, the days before it of the period
    containing it keep `previous_rate` (a rate change from a later date inside
    a period), priced in the period's one interest figure and in the equal
    installment (`_changed`).
    The carried interest and charges are spread over `carry_over`
    installments from the `carry_from`-th (0: every installment from it),
    the larger parts first.

    A rate change from a later due date keeps what comes before it: the first
    `len(kept_principal)` periods repay the current schedule's principal with
    interest at `previous_rate`; the rest is amortised at `rate`, the period
    containing `rate_from` priced by its day count with the days before it at
    the previous rate. `flat_on` prices every period on that principal
    instead of the balance owed (a flat-interest loan: its original principal,
    less what balance corrections took off); the first period, from the
    position's day, by its day count.
    """

    principal: int
    rate: Decimal
    periods: tuple[Period, ...]
    method: Method
    interest_only: int = 0
    fixed: int = 0
    installment: int = 0
    carried_interest: int = 0
    carried_charges: int = 0
    carry_from: int = 0
    carry_over: int = 0
    rate_from: date | None = None
    previous_rate: Decimal | None = None
    kept_principal: tuple[int, ...] = ()
    flat_on: int | None = None


def rebuild(position: LoanPosition, terms: Rebuild) -> tuple[PlannedInstallment, ...]:
    """The new installments: what remains of the loan under `terms`, interest earned so far carried."""
    periods = _priced_periods(position, terms)
    balance = terms.principal
    lines: list[PlannedInstallment] = []
    kept = min(len(terms.kept_principal), len(periods) - 1)
    before = terms.rate if terms.previous_rate is None else terms.previous_rate
    for k, period in enumerate(periods[:kept]):
        interest = _interest(position, terms, balance, before, period)
        principal = min(balance, terms.kept_principal[k])
        balance -= principal
        lines.append(PlannedInstallment(period.start, period.due, principal, interest))
    head = min(len(periods), kept + terms.interest_only + terms.fixed)
    for k, period in enumerate(periods[kept:head]):
        interest = _interest(position, terms, balance, terms.rate, period)
        principal = 0 if k < terms.interest_only else min(balance, max(0, terms.installment - interest))
        balance -= principal
        lines.append(PlannedInstallment(period.start, period.due, principal, interest))
    if len(periods) > head:
        rest = amortize_position(position, balance, terms.rate, periods[head:], terms.method, terms.flat_on)
        lines += as_planned(rest, periods[head:])
    if lines:
        lines[0] = replace(lines[0], start=position.as_of)
    return with_arrears(lines, terms.carried_interest, terms.carried_charges, terms.carry_from, terms.carry_over)


def _priced_periods(position: LoanPosition, terms: Rebuild) -> tuple[Period, ...]:
    """The periods as interest is priced on them: a rate change from a later day marked on the period
    containing it; a flat loan's first one, cut short by the position's day (what was earned before it is
    carried), by its day count rather than as a whole period."""
    periods = _changed(terms)
    if terms.flat_on is None or not periods:
        return periods
    first = periods[0]
    whole = any(r.start == first.start and r.due == first.due for r in position.remaining)
    return periods if whole else (replace(first, broken=True), *periods[1:])


def _changed(terms: Rebuild) -> tuple[Period, ...]:
    """The periods with a rate change from `rate_from` marked on the one containing it: its days before the
    change are priced at the previous rate, the rest at the new, rounded once (`interest_for`), and the
    equal installment prices it so (`period_rate`): every installment pays its period's interest as charged,
    and only the last absorbs the rounding residue. A change on a due date marks nothing."""
    if terms.rate_from is None or terms.previous_rate is None:
        return terms.periods
    return tuple(
        replace(p, rate_from=terms.rate_from, rate_before=terms.previous_rate)
        if p.start < terms.rate_from < p.due
        else p
        for p in terms.periods
    )


def _interest(position: LoanPosition, terms: Rebuild, balance: int, rate: Decimal, period: Period) -> int:
    """One period's interest: on the balance owed, or on a flat loan's principal."""
    if terms.flat_on is None:
        return interest_for(balance, rate, period, position.day_count, position.rounding)
    return flat_interest(terms.flat_on, rate, period, position.frequency, position.day_count, position.rounding)


def amortize_position(
    position: LoanPosition,
    balance: int,
    rate: Decimal,
    periods: Sequence[Period],
    method: Method,
    flat_on: int | None = None,
) -> list[Line]:
    """Lending's amortisation with the loan's own calendar, day count and rounding (flat on `flat_on`), and
    its product's installment settings, so a change re-amortises the way the original schedule was built:
    the EMI from each period's own rate on a `progressive` product (the broken first period from the
    change's day priced by its days), rounded to the product's multiple with its mode, and re-balanced so
    the last installment is no larger than the others when the product says so."""
    basis = InterestBasis(flat_on=flat_on, progressive=position.emi_method is EmiMethod.PROGRESSIVE)
    f, dc, rnd, step = position.frequency, position.day_count, position.rounding, position.installment_rounding

    def lines(installment: int | None = None) -> list[Line]:
        return amortize(balance, rate, periods, method, f, dc, rnd, step, installment=installment, basis=basis)

    if not position.rebalance_installment or method is not Method.EQUAL_INSTALLMENT or balance <= 0 or not periods:
        return lines()
    start = round_minor(equal_installment(balance, rate, periods, f, dc, rnd, basis), rnd, step)
    return lines(rebalanced(lines, start, step, len(periods)))


def as_planned(lines: Sequence[Line], periods: Sequence[Period]) -> list[PlannedInstallment]:
    """Amortised lines as planned installments; with no principal left to amortise (a loan owing only
    interest and fees) the periods still give the due dates the carried arrears are spread over."""
    if lines:
        return [PlannedInstallment(line.start, line.due, line.principal, line.interest) for line in lines]
    return [PlannedInstallment(p.start, p.due, 0, 0) for p in periods]


def with_arrears(
    lines: list[PlannedInstallment], interest: int, charges: int, first: int = 0, over: int = 0
) -> tuple[PlannedInstallment, ...]:
    """Spread what the loan owed beyond principal over `over` installments from `first` on (0: all of them)."""
    count = len(lines) - first
    if count <= 0:
        first, count = 0, len(lines)
    if over:
        count = min(count, over)
    parts = zip(spread(interest, count), spread(charges, count), strict=True)
    out = list(lines)
    for k, (i, c) in enumerate(parts):
        out[first + k] = replace(out[first + k], arrears_interest=i, arrears_fee=c)
    return tuple(out)


def regular_installment(lines: Sequence[PlannedInstallment]) -> int:
    """The new schedule's installment as a borrower reads it: the first that repays principal (after an
    interest-only head), its own principal and interest without the arrears carried beside it."""
    regular = [line.principal + line.interest for line in lines if line.principal]
    if regular:
        return regular[0]
    return lines[0].principal + lines[0].interest if lines else 0


def spread(amount: int, count: int) -> list[int]:
    """`amount` in `count` parts that differ by at most one unit, the larger first; they sum to it exactly."""
    if count <= 0:
        return []
    base, extra = divmod(amount, count)
    return [base + (1 if k < extra else 0) for k in range(count)]


# -- the loan's calendar --------------------------------------------------------------------------------


def anchor_of(position: LoanPosition) -> date:
    """The loan's next due date after its position's day: its first installment not billed yet, or the
    next date in its cadence after its last due date (a loan past maturity)."""
    future = [r.due for r in position.remaining if r.due > position.as_of]
    if future:
        return min(future)
    k = 1
    while (nxt := due_date(position.last_due, position.frequency, k)) <= position.as_of:
        k += 1
    return nxt


def remaining_count(position: LoanPosition) -> int:
    """How many installments the current schedule still has to come (at least one: a schedule has a due date)."""
    return max(1, len(position.remaining))


def dues_from(first: date, frequency: Frequency, count: int, skip: int = 0) -> list[date]:
    return [due_date(first, frequency, skip + k) for k in range(count)]


def periods_for(start: date, dues: Sequence[date], frequency: Frequency) -> tuple[Period, ...]:
    """The first period runs from `start` (the change's day) to the first due date; the rest are regular."""
    monthly = frequency is Frequency.MONTHLY
    periods = [Period(start, dues[0])]
    periods += [Period(a, b, 1 if monthly else None) for a, b in itertools.pairwise(dues)]
    return tuple(periods)


def remaining_periods(position: LoanPosition) -> tuple[Period, ...]:
    """The current schedule's due dates still to come, from the position's day: what a change that keeps
    the dates rebuilds over."""
    return periods_for(
        position.as_of,
        dues_from(anchor_of(position), position.frequency, remaining_count(position)),
        position.frequency,
    )


def kept_before(position: LoanPosition, periods: Sequence[Period], day: date) -> tuple[int, ...]:
    """The principal of the current schedule's installments due on or before `day`: a rate change from a
    later due date leaves them as they are (at the old rate)."""
    current = {r.due: r.principal for r in position.remaining}
    return tuple(current.get(p.due, 0) for p in periods if p.due <= day)


def earned(position: LoanPosition) -> tuple[int, int]:
    """Interest earned so far and not collected (billed or accrued to the position's day), and the
    charges (fees, penalty): what a change carries and never reprices."""
    return position.interest_billed + position.accrued_interest, position.fees + position.penalty


# -- the APR of what remains ------------------------------------------------------------------------------


def periods_between(start: date, end: date, frequency: Frequency) -> int:
    """Whole periods from `start` to `end`, rounded to the nearest (at least 1 for a later date)."""
    days = (end - start).days
    if days <= 0:
        return 0
    return max(1, round(Decimal(days) * frequency.periods_per_year / 365))


def period_fraction(start: date, end: date, frequency: Frequency) -> Decimal:
    """`start` to `end` in periods of the frequency, by the actual days (a year's 365 over its periods)."""
    return Decimal(max(0, (end - start).days)) * frequency.apr_periods / 365


def remaining_apr(position: LoanPosition, lines: Sequence[PlannedInstallment], pricing: PricingProfile) -> Decimal:
    """The APR of the new installments' cash flows: the debt they repay as received on the position's day.

    The first installment falls a broken period after the position's day: its time is that period's
    actual days as a fraction of a period (Regulation Z's odd days), not a whole period, which would
    understate the price of interest charged over a few days."""
    received = sum(line.debt for line in lines)
    if received <= 0 or not lines:
        return Decimal(0)
    first = period_fraction(position.as_of, lines[0].due, position.frequency)
    times = [first + k for k in range(len(lines))]
    return annual_rate(received, [line.total for line in lines], times, position.frequency, pricing.apr_method)
