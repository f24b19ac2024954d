"""Repayment schedules, day counts and the APR, as pure functions.

Every amount is an int of minor units; interest is computed with `Decimal`
and rounded with the product's named mode. The last installment always
takes whatever principal is left, so the principal sums to the amount
exactly whatever the rounding did on the way (DESIGN.md section 5).

- `calendar.py` — due dates, periods, day counts (30/360, ACT/365, ACT/360, ACT/ACT, ACT/364);
- `lines.py` — amortisation for every method, declining-balance or flat interest;
- `terms.py` — a product's grace, interest-free periods, re-balancing and fixed installment;
- `build.py` — a loan's whole schedule (`build_schedule`); `apr.py` — the APR and its cap.
- `cap.py` — whether a product rounding interest up can price a loan above the APR cap (at definition);
- `rebuild.py` — changes inside a schedule (a period with a rate change inside it priced by `calendar.rated`).
"""

from fairlend.lending.schedule.apr import APR_PLACES, annual_rate, check_apr_cap, daily_rate_e10, periodic_irr
from fairlend.lending.schedule.build import MAX_PERIODS, Schedule, build_schedule
from fairlend.lending.schedule.calendar import (
    Period,
    add_months,
    day,
    default_first_due,
    due_date,
    from_day,
    periodic_rate,
    regular_fraction,
    schedule_periods,
    single_payment_period,
    year_fraction,
)
from fairlend.lending.schedule.lines import (
    DECLINING,
    InterestBasis,
    Line,
    amortize,
    annuity,
    annuity_of_rates,
    equal_installment,
    flat_interest,
    interest_for,
    round_minor,
)
from fairlend.lending.schedule.terms import product_basis

__all__ = [
    "APR_PLACES",
    "DECLINING",
    "MAX_PERIODS",
    "InterestBasis",
    "Line",
    "Period",
    "Schedule",
    "add_months",
    "amortize",
    "annual_rate",
    "annuity",
    "annuity_of_rates",
    "build_schedule",
    "check_apr_cap",
    "daily_rate_e10",
    "day",
    "default_first_due",
    "due_date",
    "equal_installment",
    "flat_interest",
    "from_day",
    "interest_for",
    "periodic_irr",
    "periodic_rate",
    "product_basis",
    "regular_fraction",
    "round_minor",
    "schedule_periods",
    "single_payment_period",
    "year_fraction",
]
