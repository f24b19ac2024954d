"""A product's schedule settings applied: grace, interest-free periods, flat interest, re-balancing.

`product_lines` is amortize (lines.py) with the product's settings around it:

- grace on principal: the first periods repay no principal, the rest amortise the whole of it;
- interest-free periods: the first periods charge no interest at all;
- grace on interest: the first periods' interest is charged but not collected then: it is added to
  the first installment after them (Fineract's "grace on interest payment");
- re-balancing: the equal installment is the smallest multiple of the installment step whose last
  installment is no larger than it (so the last never strays above the others);
- a fixed installment: the schedule ends when it has repaid the principal (the term derived).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal

from fairlend.errors import Invalid
from fairlend.lending.model import EmiMethod, InterestMethod, Method, Product
from fairlend.lending.schedule.calendar import Period
from fairlend.lending.schedule.lines import (
    InterestBasis,
    Line,
    amortize,
    annuity_of_rates,
    equal_installment,
    period_rate,
    round_minor,
)


def product_basis(product: Product, principal: int) -> InterestBasis:
    return InterestBasis(
        flat_on=principal if product.interest_method is InterestMethod.FLAT else None,
        interest_free=product.interest_free_periods,
        progressive=product.emi_method is EmiMethod.PROGRESSIVE,
    )


def principal_grace(product: Product) -> int:
    """Periods without principal; a balloon repays none before the end anyway."""
    return (
        product.grace_principal_periods if product.method in (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL) else 0
    )


def regular_from(product: Product) -> int:
    """The index of the first line that is a regular installment (after every grace and the deferred interest)."""
    deferred = product.grace_interest_periods + 1 if product.grace_interest_periods else 0
    return max(principal_grace(product), product.interest_free_periods, deferred)


def product_lines(
    principal: int,
    rate: Decimal,
    periods: Sequence[Period],
    product: Product,
    *,
    installment: int | None = None,
) -> list[Line]:
    """The lines of a schedule on `product`'s settings (before empty lines are merged: see `merge_empty`)."""
    g = principal_grace(product)
    basis = product_basis(product, principal)
    f, dc, rnd = product.frequency, product.day_count, product.rounding
    head = [
        Line(k + 1, p.start, p.due, 0, basis.interest(k, principal, rate, p, f, dc, rnd), principal)
        for k, p in enumerate(periods[:g])
    ]
    tail_basis = replace(basis, interest_free=max(0, basis.interest_free - g))
    tail_periods = periods[g:]

    def tail(fixed: int | None) -> list[Line]:
        return amortize(
            principal,
            rate,
            tail_periods,
            product.method,
            f,
            dc,
            rnd,
            product.installment_rounding,
            installment=fixed,
            first_seq=g + 1,
            basis=tail_basis,
        )

    if installment is None and product.method is Method.EQUAL_INSTALLMENT:
        broken = broken_first_installment(principal, rate, tail_periods, product, tail_basis)
        step = product.installment_rounding
        if product.rebalance_installment:
            start = (
                equal_installment(principal, rate, tail_periods, f, dc, rnd, tail_basis) if broken is None else broken
            )
            installment = rebalanced(tail, round_minor(start, rnd, step), step, len(tail_periods))
        elif broken is not None:
            installment = round_minor(broken, rnd, step)
    return defer_interest(head + tail(installment), product.grace_interest_periods)


def broken_first_installment(
    principal: int, rate: Decimal, periods: Sequence[Period], product: Product, basis: InterestBasis
) -> Decimal | None:
    """The nominal equal installment of a schedule whose first period is broken (a chosen first due date):
    the annuity of that period's own rate (its days by the day count, as its interest is charged) and the
    regular rate after it, so the installments stay level and the last takes only the rounding residue, not
    the odd days' interest. None where the installment needs no such care (a regular first period, the
    progressive method, which prices every period by its days already, or flat interest)."""
    if not periods or not periods[0].broken or basis.progressive or basis.flat_on is not None:
        return None
    f, dc = product.frequency, product.day_count
    rates = [
        Decimal(0) if k < basis.interest_free else period_rate(rate, p, f, dc, progressive=k == 0)
        for k, p in enumerate(periods)
    ]
    return annuity_of_rates(principal, rates)


def rebalanced(make: Callable[[int], list[Line]], start: int, step: int, periods: int) -> int:
    """The smallest installment (a multiple of `step`) whose schedule keeps its `periods` and ends no larger.

    Candidates fall in three runs as the installment grows: too low (the last installment is larger,
    or a period's interest is not covered), fitting, too high (the loan is repaid before its term).
    When the step is too coarse for any to fit, the installment stays `start`.
    """

    def low(candidate: int) -> bool:
        if candidate <= 0:
            return True
        try:
            lines = make(candidate)
        except Invalid:  # does not cover a period's interest
            return True
        return len(lines) == periods and lines[-1].total > candidate

    def fits(candidate: int) -> bool:
        return not low(candidate) and len(make(candidate)) == periods

    start = max(step, start - start % step)
    gap = step
    if low(start):
        lo = start
        while low(lo + gap):
            gap *= 2
        hi = lo + gap  # not low
    else:
        hi = start
        while hi - gap > 0 and not low(hi - gap):
            gap *= 2
        lo = hi - gap  # low (or nothing)
    while hi - lo > step:
        mid = lo + (hi - lo) // step // 2 * step
        if low(mid):
            lo = mid
        else:
            hi = mid
    return hi if fits(hi) else start


def defer_interest(lines: list[Line], periods: int) -> list[Line]:
    """The first `periods` lines' interest moved to the line after them (the last, when none is after them)."""
    if not periods or len(lines) < 2:
        return lines
    at = min(periods, len(lines) - 1)
    deferred = sum(line.interest for line in lines[:at])
    moved = [replace(line, interest=0) for line in lines[:at]]
    return [*moved, replace(lines[at], interest=lines[at].interest + deferred), *lines[at + 1 :]]


def merge_empty(lines: Sequence[Line], times: Sequence[int], within: int) -> tuple[list[Line], list[int]]:
    """A line of the first `within` asking for nothing (a period of full grace) is no installment: its days join the next.

    The next line then starts where the empty one started, so its interest accrues over both periods;
    lines are numbered again from 1. `times` (each line's cash-flow time, for the APR) follow the kept lines.
    """
    kept: list[Line] = []
    kept_times: list[int] = []
    start = None
    for k, (line, t) in enumerate(zip(lines, times, strict=True)):
        if line.total == 0 and k < min(within, len(lines) - 1):
            start = start or line.start
            continue
        kept.append(replace(line, seq=len(kept) + 1, start=start or line.start))
        kept_times.append(t)
        start = None
    return kept, kept_times
