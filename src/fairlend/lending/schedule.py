"""Repayment schedules, day counts and the APR, as pure functions.

Every amount is an int of minor units; interest is computed with `Decimal`
and rounded with the product's named mode. The last installment always
takes whatever principal is left, so the principal sums to the amount
exactly whatever the rounding did on the way (DESIGN.md section 5).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal, localcontext

from fairlend.errors import Invalid, PolicyViolation
from fairlend.jurisdiction.model import AprMethod, PricingProfile
from fairlend.lending.model import DayCount, FeeTreatment, Frequency, Method, Product
from fairlend.money import Money, Rounding


def day(d: date) -> int:
    """A date as an integer day number, the form end-of-day's SQL computes with."""
    return d.toordinal()


def from_day(n: int | None) -> date | None:
    return date.fromordinal(n) if n is not None else None


def add_months(anchor: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 = Feb 28)."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def due_date(first_due: date, frequency: Frequency, k: int) -> date:
    """The k-th due date (k = 0 is the first)."""
    if frequency is Frequency.MONTHLY:
        return add_months(first_due, k)
    return first_due + timedelta(days=(14 if frequency is Frequency.BIWEEKLY else 7) * k)


def default_first_due(open_date: date, frequency: Frequency, periods: int = 1) -> date:
    if frequency is Frequency.MONTHLY:
        return add_months(open_date, periods)
    return open_date + timedelta(days=(14 if frequency is Frequency.BIWEEKLY else 7) * periods)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    due: date
    whole_months: int | None = None  # set for regular monthly periods: 30/360 counts them as n/12


def year_fraction(day_count: DayCount, period: Period) -> Decimal:
    if day_count is DayCount.THIRTY_360:
        if period.whole_months is not None:
            return Decimal(period.whole_months) / 12
        return Decimal(_days_30_360(period.start, period.due)) / 360
    return Decimal((period.due - period.start).days) / day_count.days_in_year


def _days_30_360(start: date, end: date) -> int:
    """30E/360 (ISDA): a month's last day counts as its 30th."""

    def day(d: date) -> int:
        return 30 if d.day == calendar.monthrange(d.year, d.month)[1] else min(d.day, 30)

    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + day(end) - day(start)


def schedule_periods(open_date: date, frequency: Frequency, term: int, first_due: date | None = None) -> list[Period]:
    first = first_due or default_first_due(open_date, frequency)
    if first <= open_date:
        raise Invalid("first_due_not_after_open", "the first due date must come after the open date")
    regular_first = first == default_first_due(open_date, frequency)
    periods: list[Period] = []
    start = open_date
    for k in range(term):
        # Anchored on the open date when the first due date is regular, so Jan 31 gives Feb 28, Mar 31.
        due = default_first_due(open_date, frequency, k + 1) if regular_first else due_date(first, frequency, k)
        whole = 1 if frequency is Frequency.MONTHLY and (k > 0 or regular_first) else None
        periods.append(Period(start, due, whole))
        start = due
    return periods


def single_payment_period(open_date: date, frequency: Frequency, term: int, first_due: date | None) -> Period:
    maturity = first_due or default_first_due(open_date, frequency, term)
    if maturity <= open_date:
        raise Invalid("first_due_not_after_open", "the maturity date must come after the open date")
    whole = term if frequency is Frequency.MONTHLY and first_due is None else None
    return Period(open_date, maturity, whole)


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
    """Interest on `balance` over one period, rounded with the product's mode: every schedule's one formula."""
    return round_minor(Decimal(balance) * rate * year_fraction(day_count, period), rounding)


def annuity(balance: int, periodic_rate: Decimal, periods: int) -> Decimal:
    if periodic_rate == 0:
        return Decimal(balance) / periods
    with localcontext() as ctx:
        ctx.prec = 40
        return Decimal(balance) * periodic_rate / (1 - (1 + periodic_rate) ** -periods)


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
) -> list[Line]:
    """Lines paying `balance` off over `periods` (fewer when a fixed installment finishes it early).

    A fixed `installment` (equal installment) or `principal_per_period`
    (equal principal) is how a prepayment that shortens the term keeps the
    amount and lets the schedule end sooner.
    """
    if balance <= 0 or not periods:
        return []
    n = len(periods)
    periodic = rate / frequency.periods_per_year
    if method is Method.EQUAL_INSTALLMENT and installment is None:
        installment = round_minor(annuity(balance, periodic, n), rounding, step)
    if method is Method.EQUAL_PRINCIPAL and principal_per_period is None:
        principal_per_period = round_minor(Decimal(balance) / n, rounding)
    lines: list[Line] = []
    for k, period in enumerate(periods):
        last = k == n - 1
        interest = interest_for(balance, rate, period, day_count, rounding)
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


@dataclass(frozen=True, slots=True)
class Schedule:
    currency: str
    amount: int  # what was asked for
    principal: int  # what is repaid: amount, plus the fee when it is financed
    fee: int
    disbursed: int  # what the borrower receives
    lines: tuple[Line, ...]
    apr: Decimal
    periods_per_year: int
    period_index: tuple[int, ...]  # each line's cash-flow time in periods, for the APR

    @property
    def installment(self) -> int:
        return self.lines[0].total

    @property
    def total_interest(self) -> int:
        return sum(line.interest for line in self.lines)

    @property
    def total_repayment(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def maturity(self) -> date:
        return self.lines[-1].due

    def money(self, minor: int) -> Money:
        return Money(minor, self.currency)


def build_schedule(
    product: Product,
    amount: int,
    open_date: date,
    *,
    rate: Decimal | None = None,
    term: int | None = None,
    first_due: date | None = None,
    apr_method: AprMethod = AprMethod.NOMINAL,
    fee: int | None = None,
) -> Schedule:
    """The schedule and APR of a loan of `amount` minor units on `product`.

    `fee` replaces the product's origination fee rate with an amount agreed
    elsewhere (an offer's fee), treated as the product says.
    """
    rate = product.rate if rate is None else rate
    term = product.term if term is None else term
    if not isinstance(rate, Decimal) or rate < 0 or rate > 10:
        raise Invalid("rate_invalid", "the rate is a Decimal between 0 and 10")
    if not 1 <= term <= 600:
        raise Invalid("term_invalid", "the term is between 1 and 600 periods")
    if amount <= 0:
        raise Invalid("amount_not_positive", "the loan amount must be positive")
    if amount < product.min_amount or (product.max_amount and amount > product.max_amount):
        raise Invalid("amount_out_of_range", f"product {product.code} lends between its minimum and maximum amounts")
    if fee is None:
        fee = round_minor(Decimal(amount) * product.origination_fee_rate, product.rounding)
    elif fee < 0:
        raise Invalid("fee_negative", "a fee cannot be negative")
    financed = product.origination_fee_treatment is FeeTreatment.FINANCED
    principal = amount + fee if financed else amount
    disbursed = amount if financed else amount - fee
    if disbursed <= 0:
        raise Invalid("fee_exceeds_amount", "the origination fee leaves nothing to disburse")
    if product.method is Method.SINGLE_PAYMENT:
        periods = [single_payment_period(open_date, product.frequency, term, first_due)]
        index: tuple[int, ...] = (term,)
    else:
        periods = schedule_periods(open_date, product.frequency, term, first_due)
        index = tuple(range(1, term + 1))
    lines = amortize(
        principal,
        rate,
        periods,
        product.method,
        product.frequency,
        product.day_count,
        product.rounding,
        product.installment_rounding,
    )
    apr = annual_rate(disbursed, [line.total for line in lines], index[: len(lines)], product.frequency, apr_method)
    return Schedule(
        product.currency,
        amount,
        principal,
        fee,
        disbursed,
        tuple(lines),
        apr,
        product.frequency.periods_per_year,
        index[: len(lines)],
    )


APR_PLACES = Decimal("0.0001")  # hundredths of a percent


def periodic_irr(received: int, payments: Sequence[int], times: Sequence[int]) -> Decimal:
    """The rate r per period at which the payments' present value equals what was received."""
    if received <= 0 or not payments:
        raise Invalid("irr_undefined", "an IRR needs money received and payments")
    with localcontext() as ctx:
        ctx.prec = 40
        flows = [(Decimal(p), t) for p, t in zip(payments, times, strict=True)]
        target = Decimal(received)
        if sum(p for p, _ in flows) <= target:
            return Decimal(0)

        def npv(r: Decimal) -> Decimal:
            return sum((p / (1 + r) ** t for p, t in flows), Decimal(0)) - target

        # Bisection on a bracket that always holds: npv is falling in r.
        low, high = Decimal(0), Decimal(1)
        while npv(high) > 0:
            high *= 2
        for _ in range(200):
            mid = (low + high) / 2
            if npv(mid) > 0:
                low = mid
            else:
                high = mid
            if high - low < Decimal("1e-18"):
                break
        return (low + high) / 2


def annual_rate(
    received: int, payments: Sequence[int], times: Sequence[int], frequency: Frequency, method: AprMethod
) -> Decimal:
    r = periodic_irr(received, payments, times)
    n = frequency.periods_per_year
    with localcontext() as ctx:
        ctx.prec = 40
        value = r * n if method is AprMethod.NOMINAL else (1 + r) ** n - 1
    return value.quantize(APR_PLACES)


def check_apr_cap(apr: Decimal, pricing: PricingProfile) -> None:
    if apr > pricing.apr_cap:
        raise PolicyViolation(
            "apr_above_cap",
            f"the APR of {apr * 100:.2f}% is above the cap of {pricing.apr_cap * 100:.2f}% ({pricing.apr_cap_rule})",
            rules=[pricing.apr_cap_rule],
            apr=str(apr),
            cap=str(pricing.apr_cap),
        )


def daily_rate_e10(rate: Decimal, day_count: DayCount) -> int:
    """A yearly rate as an integer per-day rate in units of 1e-10, for set-based SQL."""
    return int((rate * Decimal(10) ** 10 / day_count.days_in_year).to_integral_value(rounding=ROUND_FLOOR))
