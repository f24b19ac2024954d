"""Amortisation: the lines that pay a balance off over periods, for every method.

Every amount is an int of minor units; interest is computed with `Decimal`
and rounded with the product's named mode. The last line always takes
whatever principal is left, so the principal sums to the balance exactly
whatever the rounding did on the way (DESIGN.md section 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from fairlend.errors import Invalid
from fairlend.lending.model import DayCount, Frequency, Method
from fairlend.lending.schedule.calendar import (
    Period,
    periodic_rate,
    rated,
    rated_interest,
    regular_fraction,
    year_fraction,
)
from fairlend.money import Rounding


def round_minor(value: Decimal, rounding: Rounding, step: int = 1) -> int:
    """Decimal minor units to an int multiple of `step`, with the named mode."""
    return int((value / step).quantize(Decimal(1), rounding=rounding.decimal_mode)) * step


@dataclass(frozen=True, slots=True)
class Line:
    seq: int
    start: date
    due: date
    principal: int
    interest: int
    balance_after: int

    @property
    def total(self) -> int:
        return self.principal + self.interest


def interest_for(balance: int, rate: Decimal, period: Period, day_count: DayCount, rounding: Rounding) -> int:
    """Interest on `balance` over one period, rounded once with the product's mode: every schedule's one
    formula (a rate change inside the period: its days before the change at the rate before it)."""
    return round_minor(rated_interest(balance, rate, period, day_count), rounding)


def flat_interest(
    principal: int, rate: Decimal, period: Period, frequency: Frequency, day_count: DayCount, rounding: Rounding
) -> int:
    """Flat interest: the original principal at the periodic rate; a broken first period by its day count
    (a rate change inside the period: its days before the change at the rate before it)."""
    fraction = year_fraction(day_count, period) if period.broken else regular_fraction(frequency, day_count)
    return round_minor(rated_interest(principal, rate, period, day_count, fraction), rounding)


def annuity(balance: int, periodic_rate: Decimal, periods: int) -> Decimal:
    if periodic_rate == 0:
        return Decimal(balance) / periods
    with localcontext() as ctx:
        ctx.prec = 40
        return Decimal(balance) * periodic_rate / (1 - (1 + periodic_rate) ** -periods)


def annuity_of_rates(balance: int, rates: Sequence[Decimal]) -> Decimal:
    """The equal payment that repays `balance` when period k earns `rates[k]` (each period its own rate)."""
    with localcontext() as ctx:
        ctx.prec = 40
        discount, factors = Decimal(1), Decimal(0)
        for r in rates:
            discount /= 1 + r
            factors += discount
        return Decimal(balance) / factors


@dataclass(frozen=True, slots=True)
class InterestBasis:
    """How a period's interest is charged: declining balance or flat, the first periods free or not."""

    flat_on: int | None = None  # flat interest on this original principal; None: on the declining balance
    interest_free: int = 0  # the first this-many periods charge nothing
    progressive: bool = False  # the equal installment from each period's own rate (Fineract's progressive EMI)

    def interest(
        self,
        k: int,
        balance: int,
        rate: Decimal,
        period: Period,
        frequency: Frequency,
        day_count: DayCount,
        rounding: Rounding,
    ) -> int:
        if k < self.interest_free:
            return 0
        if self.flat_on is not None:
            return flat_interest(self.flat_on, rate, period, frequency, day_count, rounding)
        return interest_for(balance, rate, period, day_count, rounding)


DECLINING = InterestBasis()


def equal_installment(
    balance: int,
    rate: Decimal,
    periods: Sequence[Period],
    frequency: Frequency,
    day_count: DayCount,
    rounding: Rounding,
    basis: InterestBasis,
) -> Decimal:
    """The unrounded equal installment: the annuity on the balance, or a flat loan's (principal + interest) / n."""
    n = len(periods)
    if basis.flat_on is not None:
        flat = [basis.interest(k, balance, rate, p, frequency, day_count, rounding) for k, p in enumerate(periods)]
        return (Decimal(balance) + sum(flat)) / n
    if not basis.progressive and not basis.interest_free and not any(p.split for p in periods):
        return annuity(balance, periodic_rate(rate, frequency, day_count), n)
    rates = [
        Decimal(0) if k < basis.interest_free else period_rate(rate, p, frequency, day_count, basis.progressive)
        for k, p in enumerate(periods)
    ]
    return annuity_of_rates(balance, rates)


def period_rate(rate: Decimal, period: Period, frequency: Frequency, day_count: DayCount, progressive: bool) -> Decimal:
    """A period's rate as the equal installment sees it: its own day-count fraction (progressive) or the
    regular periodic rate (nominal); a rate change inside it prices the days before the change at the rate
    before it, on either method, so the installment already pays the period's interest as charged."""
    if progressive:
        return sum((r * f for r, f in rated(rate, period, day_count)), Decimal(0))
    regular = periodic_rate(rate, frequency, day_count)
    if not period.split:
        return regular
    (before, head), _ = rated(rate, period, day_count)
    return regular + (before - rate) * head


def amortize(
    balance: int,
    rate: Decimal,
    periods: Sequence[Period],
    method: Method,
    frequency: Frequency,
    day_count: DayCount,
    rounding: Rounding,
    step: int = 1,
    *,
    installment: int | None = None,
    principal_per_period: int | None = None,
    first_seq: int = 1,
    basis: InterestBasis = DECLINING,
) -> list[Line]:
    """Lines paying `balance` off over `periods` (fewer when a fixed installment finishes it early).

    A fixed `installment` (equal installment) or `principal_per_period`
    (equal principal) is how a prepayment that shortens the term keeps the
    amount and lets the schedule end sooner, and how a fixed installment
    derives the term.
    """
    if balance <= 0 or not periods:
        return []
    n = len(periods)
    if method is Method.EQUAL_INSTALLMENT and installment is None:
        value = equal_installment(balance, rate, periods, frequency, day_count, rounding, basis)
        installment = round_minor(value, rounding, step)
    if method is Method.EQUAL_PRINCIPAL and principal_per_period is None:
        principal_per_period = round_minor(Decimal(balance) / n, rounding)
    lines: list[Line] = []
    for k, period in enumerate(periods):
        last = k == n - 1
        interest = basis.interest(k, balance, rate, period, frequency, day_count, rounding)
        if method is Method.EQUAL_INSTALLMENT:
            assert installment is not None
            principal = installment - interest
        elif method is Method.EQUAL_PRINCIPAL:
            assert principal_per_period is not None
            principal = principal_per_period
        else:
            principal = 0
        if last or principal >= balance:
            principal = balance
        if principal < 0:
            raise Invalid(
                "schedule_negative_principal",
                f"installment {first_seq + k} does not cover its interest; raise the installment rounding or the amount",
            )
        balance -= principal
        lines.append(Line(first_seq + k, period.start, period.due, principal, interest, balance))
        if balance == 0:
            break
    return lines
