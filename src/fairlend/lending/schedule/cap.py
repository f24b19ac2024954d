"""Whether a product rounding its interest up can price a loan above the APR cap (checked when it is defined).

Rounding interest up charges less than one minor unit more than the exact
interest each period, and on a small enough loan that alone crosses any cap:
1 fen at 1 % a year rounded up is 1 fen a month, 1,200 % (hypothesis found
143.01 for 31 days at 24 %: 2.915 of interest read as 24.04 %). So rounding up
cannot be proved harmless; it is refused unless the product's rate, its
calendar and its smallest loan leave room for it. The bound, for a loan of
`P` minor units on the declining balance (interest on the balance owed), at
the cap's periodic rate `j` (v = 1 / (1 + j)), from the identity

    NPV(j) = sum_k v^k (I_k - j B_(k-1))        (B the balances, I the interest)

that holds for any schedule repaying `P`: the APR is within the cap when
NPV(j) <= 0. Each period's interest is at most B r f + 1 (r the rate, f the
period's share of a year, at most `f_max` on the product's calendar), so
NPV(j) <= sum_k v^k (1 - (j - r f_max) B_(k-1)); the first balance is P and
the rest are not negative, and sum_k v^k < 1 / j, so NPV(j) <= 0 whenever

    (j - r f_max) >= (1 + j) / (j P)

whatever the term, the installment rounding (the interest is always on the
balance owed) and the grace (deferred or waived interest only lowers the
NPV). The APR is rounded to hundredths of a percent from that IRR, so it is
within the cap too. The rule is CN-21 (the profile's `apr_cap_rule`).

Outside the bound, and checked on each quote, booking and change instead
(`apr_above_cap`): flat interest (charged on the original principal, its
APR is far above its rate whatever the rounding), an origination fee, a
chosen first due date's broken period, and a rate a quote overrides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

from fairlend.jurisdiction.model import AprMethod, PricingProfile
from fairlend.lending.model import DayCount, Frequency, InterestMethod, Product
from fairlend.money import Rounding

RULE = "product_rounding_up_above_cap"


@dataclass(frozen=True, slots=True)
class RoundingFinding:
    """A product whose rounding up can lift an APR above the cap: the rule, and what would satisfy it."""

    code: str
    rule: str  # the profile's APR-cap rule id (RULES.md)
    detail: str
    cap: Decimal
    min_amount_needed: int | None  # the smallest loan the bound allows; None: no amount does (the rate too high)


def longest_fraction(frequency: Frequency, day_count: DayCount) -> Fraction:
    """The largest share of a year one regular period of the frequency can be on the day count (exact)."""
    if day_count is DayCount.THIRTY_360:
        if frequency is Frequency.MONTHLY:
            return Fraction(1, 12)
        days = 17 if frequency is Frequency.SEMIMONTHLY else (frequency.days or 0) + 3  # 30E/360 over February
        return Fraction(days, 360)
    longest = {Frequency.MONTHLY: 31, Frequency.SEMIMONTHLY: 16}.get(frequency) or frequency.days or 31
    year = 365 if day_count is DayCount.ACT_ACT else day_count.days_in_year
    return Fraction(longest, year)


def cap_periodic_rate(cap: Decimal, frequency: Frequency, method: AprMethod) -> Fraction:
    """The per-period IRR at which the APR is the cap, as `annual_rate` annualises it (exact for a nominal
    APR; an effective one's root rounded down to 40 digits, which only asks for more room)."""
    n = Fraction(365, 15) if frequency is Frequency.FIFTEEN_DAYS else Fraction(frequency.periods_per_year)
    if method is AprMethod.NOMINAL:
        return Fraction(cap) / n
    with localcontext() as ctx:
        ctx.prec = 40
        ctx.rounding = ROUND_FLOOR
        return Fraction((1 + cap) ** (Decimal(n.denominator) / Decimal(n.numerator)) - 1)


def rounding_up_finding(product: Product, pricing: PricingProfile) -> RoundingFinding | None:
    """None when rounding up cannot take any loan of the product above the cap (the bound above holds at its
    smallest amount, `min_amount`, 1 minor unit when it has none); else the finding, naming the rule."""
    if product.rounding is not Rounding.UP or product.interest_method is InterestMethod.FLAT:
        return None
    j = cap_periodic_rate(pricing.apr_cap, product.frequency, pricing.apr_method)
    room = j - Fraction(product.rate) * longest_fraction(product.frequency, product.day_count)
    smallest = max(1, product.min_amount)
    needed = None if room <= 0 else math.ceil((1 + j) / (j * room))
    if needed is not None and smallest >= needed:
        return None
    cap = f"{pricing.apr_cap * 100:.2f}%"
    if needed is None:
        why = f"its rate {product.rate} is at or above the cap of {cap} on its calendar"
    else:
        why = f"its smallest loan is {smallest} minor units; rounding up is provably within the cap of {cap} from {needed}"
    return RoundingFinding(
        code=RULE,
        rule=pricing.apr_cap_rule,
        detail=f"rounding interest up can price a loan above the APR cap ({pricing.apr_cap_rule}): {why}",
        cap=pricing.apr_cap,
        min_amount_needed=needed,
    )
