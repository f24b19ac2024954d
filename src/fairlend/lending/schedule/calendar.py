"""Due dates, periods and day counts, as pure functions.

Monthly due dates keep the open date's day (Jan 31 -> Feb 28 -> Mar 31);
semi-monthly ones fall on that day and 15 days after it; the day-based
frequencies (weekly, bi-weekly, every 15 days) add their days. A period's
year fraction comes from the product's day count.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fairlend.errors import Invalid
from fairlend.lending.model import DayCount, Frequency


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


def _semimonthly(anchor: date, k: int) -> date:
    """Twice a month: the anchor's day (clamped), then 15 days after it (Jan 31 -> Feb 15 -> Feb 28 -> Mar 15)."""
    base = add_months(anchor, k // 2)
    return base if k % 2 == 0 else base + timedelta(days=15)


def due_date(first_due: date, frequency: Frequency, k: int) -> date:
    """The k-th due date (k = 0 is the first)."""
    if frequency is Frequency.MONTHLY:
        return add_months(first_due, k)
    if frequency is Frequency.SEMIMONTHLY:
        return _semimonthly(first_due, k)
    assert frequency.days is not None
    return first_due + timedelta(days=frequency.days * k)


def default_first_due(open_date: date, frequency: Frequency, periods: int = 1) -> date:
    if frequency is Frequency.MONTHLY:
        return add_months(open_date, periods)
    if frequency is Frequency.SEMIMONTHLY:
        return _semimonthly(open_date, periods)
    assert frequency.days is not None
    return open_date + timedelta(days=frequency.days * periods)


def product_first_due(open_date: date, due_day: int, min_days: int) -> date:
    """The first `due_day` of a month after the open date and at least `min_days` after it."""
    candidate = open_date.replace(day=due_day)
    while candidate <= open_date or (candidate - open_date).days < min_days:
        candidate = add_months(candidate, 1)
    return candidate


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    due: date
    whole_months: int | None = None  # set for regular monthly periods: 30/360 counts them as n/12
    broken: bool = False  # a first period of another length than the frequency's (a chosen first due date)
    rate_from: date | None = None  # a rate change inside the period: its days before this day are priced at
    rate_before: Decimal | None = None  # this rate, the rest at the period's own (`rated`)

    @property
    def split(self) -> bool:
        """Whether a rate change falls strictly inside the period (on its first day it is the new rate's)."""
        return self.rate_before is not None and self.rate_from is not None and self.start < self.rate_from < self.due


def year_fraction(day_count: DayCount, period: Period) -> Decimal:
    if day_count is DayCount.THIRTY_360:
        if period.whole_months is not None:
            return Decimal(period.whole_months) / 12
        return Decimal(_days_30_360(period.start, period.due)) / 360
    if day_count is DayCount.ACT_ACT:
        return _actual_actual(period.start, period.due)
    return Decimal((period.due - period.start).days) / day_count.days_in_year


def rated(
    rate: Decimal, period: Period, day_count: DayCount, fraction: Decimal | None = None
) -> tuple[tuple[Decimal, Decimal], ...]:
    """The period's (rate, share of a year) parts: one, or with a rate change inside it two, the days before
    the change at the rate before it and the rest of the period's `fraction` (its day count's by default) at
    `rate`. The parts add up to the period's fraction, so a change on its first day prices the whole period
    at the new rate and one on its due date at the old; the caller multiplies and rounds once."""
    whole = year_fraction(day_count, period) if fraction is None else fraction
    if not period.split:
        return ((rate, whole),)
    assert period.rate_from is not None and period.rate_before is not None
    head = min(whole, year_fraction(day_count, Period(period.start, period.rate_from)))
    return ((period.rate_before, head), (rate, whole - head))


def rated_interest(
    amount: int, rate: Decimal, period: Period, day_count: DayCount, fraction: Decimal | None = None
) -> Decimal:
    """`amount` at `rate` over the period, unrounded (the parts of `rated`, one product each)."""
    return sum((Decimal(amount) * r * f for r, f in rated(rate, period, day_count, fraction)), Decimal(0))


def _actual_actual(start: date, end: date) -> Decimal:
    """ACT/ACT (ISDA): the days in each calendar year over that year's length (365 or 366)."""
    total, cursor = Decimal(0), start
    while cursor < end:
        year_end = min(end, date(cursor.year + 1, 1, 1))
        total += Decimal((year_end - cursor).days) / (366 if calendar.isleap(cursor.year) else 365)
        cursor = year_end
    return total


def _days_30_360(start: date, end: date) -> int:
    """30E/360 (ISDA): a month's last day counts as its 30th."""

    def day(d: date) -> int:
        return 30 if d.day == calendar.monthrange(d.year, d.month)[1] else min(d.day, 30)

    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + day(end) - day(start)


def regular_fraction(frequency: Frequency, day_count: DayCount) -> Decimal:
    """A regular period's share of a year: 1/12 a month, 1/24 half a month, a day-based period by the day count."""
    if frequency is Frequency.FIFTEEN_DAYS:
        return Decimal(15) / day_count.days_in_year
    return Decimal(1) / frequency.periods_per_year


def periodic_rate(rate: Decimal, frequency: Frequency, day_count: DayCount) -> Decimal:
    """The nominal rate of one regular period: rate / 12 a month (15/365 of it every 15 days on ACT/365)."""
    if frequency is Frequency.FIFTEEN_DAYS:
        return rate * regular_fraction(frequency, day_count)
    return rate / frequency.periods_per_year


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
        periods.append(Period(start, due, whole, broken=k == 0 and not regular_first))
        start = due
    return periods


def single_payment_period(open_date: date, frequency: Frequency, term: int, first_due: date | None) -> Period:
    maturity = first_due or default_first_due(open_date, frequency, term)
    if maturity <= open_date:
        raise Invalid("first_due_not_after_open", "the maturity date must come after the open date")
    whole = term if frequency is Frequency.MONTHLY and first_due is None else None
    return Period(open_date, maturity, whole)
