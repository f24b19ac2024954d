"""Interest recalculation on the actual daily balance (Fineract's "interest recalculation"), as loan data.

A schedule prices each period on the balance the schedule expects. When an
installment's principal is paid late, the balance actually owed is larger
than that for the days it stays unpaid; with recalculation those days bear
interest at the loan's rate (and, compounding, so does billed interest left
unpaid). End-of-day adds each day's amount to an exact accumulator on the
loan, in units of 1e-10 minor units, so no rounding happens per day; the
period's extra interest is that accumulator rounded half-up once, accrued
as it grows and billed with the next installment (its interest grows, its
principal does not). Early payments need nothing here: a payment beyond
what is billed is a prepayment, which restarts the period on the new
balance from that day (repayment_plan.py), so the days after it are already
charged on the balance actually owed.

Days after the last due date are not recalculated: the loan has no period
left to bill them into, and the product's penalty rate is what overdue
principal bears after maturity (docs/lending.md).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from typing import Any

from fairlend.lending.model import InterestRecalculation, Product

SCALE = 10**10  # the accumulator's unit: 1e-10 of a minor unit
HALF = SCALE // 2


def daily_e10(rate: Decimal, year_days: int) -> int:
    """A yearly rate as an integer per-day rate in units of 1e-10 (0 when the loan is not recalculated)."""
    if year_days <= 0:
        return 0
    return int((rate * SCALE / year_days).to_integral_value(rounding=ROUND_FLOOR))


def extra_interest(accumulated_e10: int) -> int:
    """The period's extra interest in minor units: the accumulator rounded half-up, once."""
    return (accumulated_e10 + HALF) // SCALE


def loan_columns(product: Product, rate: Decimal) -> dict[str, Any]:
    """The loan row's recalculation columns when it is booked on `product` at `rate`."""
    mode = product.interest_recalculation
    year_days = 0 if mode is InterestRecalculation.NONE else product.day_count.days_in_year
    return {
        "recalc_year_days": year_days,
        "recalc_compound": mode is InterestRecalculation.COMPOUNDING,
        "recalc_daily_e10": daily_e10(rate, year_days),
        "recalc_e10": 0,
    }


def day_amount_e10(principal_overdue: int, interest_overdue: int, compound: bool, rate_e10: int) -> int:
    """One day's extra interest, in 1e-10 minor units: what end-of-day adds (the same sum in SQL)."""
    return (principal_overdue + (interest_overdue if compound else 0)) * rate_e10
