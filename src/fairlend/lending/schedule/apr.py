"""The APR as the IRR of a loan's cash flows, and the profile's cap on it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal, localcontext

from fairlend.errors import Invalid, PolicyViolation
from fairlend.jurisdiction.model import AprMethod, PricingProfile
from fairlend.lending.model import DayCount, Frequency

APR_PLACES = Decimal("0.0001")  # hundredths of a percent


def periodic_irr(received: int, payments: Sequence[int], times: Sequence[int | Decimal]) -> Decimal:
    """The rate r per period at which the payments' present value equals what was received (`times` in
    periods; a broken first period's a fraction, at simple interest over that period)."""
    if received <= 0 or not payments:
        raise Invalid("irr_undefined", "an IRR needs money received and payments")
    with localcontext() as ctx:
        ctx.prec = 40
        flows = [(Decimal(p), t) for p, t in zip(payments, times, strict=True)]
        target = Decimal(received)
        if sum(p for p, _ in flows) <= target:
            return Decimal(0)

        # A broken first period (its time a fraction of periods) bears simple interest over its length, as
        # the schedule charges it in one go; the periods after it compound.
        first = Decimal(flows[0][1])
        broken = first != int(first)

        def npv(r: Decimal) -> Decimal:
            if broken:
                return sum((p / ((1 + first * r) * (1 + r) ** (t - first)) for p, t in flows), Decimal(0)) - target
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
    received: int, payments: Sequence[int], times: Sequence[int | Decimal], frequency: Frequency, method: AprMethod
) -> Decimal:
    r = periodic_irr(received, payments, times)
    # Every 15 days is 365/15 periods a year, not 24: an APR is never understated.
    n: int | Decimal = frequency.apr_periods if frequency is Frequency.FIFTEEN_DAYS else frequency.periods_per_year
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
