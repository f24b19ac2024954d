"""Lending as pure data: products and loan states (a running loan as a change sees it in position_model.py,
events in events.py, answers in views.py).

Products are versioned data, not classes: the amortization method, the
frequency, the day count, the rounding, the fees and the repayment waterfall
are fields a product carries (DESIGN.md section 5). A loan keeps the version
it was written on. Schedules live in `schedule.py`, the waterfall in
`waterfall.py`; both are pure too.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fairlend.errors import Invalid
from fairlend.lending.waterfall_model import DEFAULT_WATERFALL as DEFAULT_WATERFALL
from fairlend.lending.waterfall_model import Component as Component
from fairlend.lending.waterfall_model import Timing as Timing
from fairlend.lending.waterfall_model import Waterfall as Waterfall
from fairlend.money import Rounding, exponent


class Method(enum.StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY_BALLOON = "interest_only_balloon"  # 先息后本
    SINGLE_PAYMENT = "single_payment"  # 一次性还本付息


class Frequency(enum.StrEnum):
    MONTHLY = "monthly"
    SEMIMONTHLY = "semimonth"  # twice a month: the due day and 15 days after it (loan.frequency is 10 characters)
    FIFTEEN_DAYS = "15_days"  # every 15 days
    BIWEEKLY = "biweekly"
    WEEKLY = "weekly"

    @property
    def periods_per_year(self) -> int:
        return _PERIODS_PER_YEAR[self]

    @property
    def days(self) -> int | None:
        """A fixed period in days; None for the calendar frequencies (monthly, semi-monthly)."""
        return {Frequency.FIFTEEN_DAYS: 15, Frequency.BIWEEKLY: 14, Frequency.WEEKLY: 7}.get(self)

    @property
    def apr_periods(self) -> Decimal:
        """Periods a year for annualising the APR: a day-based frequency counts 365 days (never understated)."""
        return Decimal(365) / 15 if self is Frequency.FIFTEEN_DAYS else Decimal(self.periods_per_year)


_PERIODS_PER_YEAR = {
    Frequency.MONTHLY: 12,
    Frequency.SEMIMONTHLY: 24,
    Frequency.FIFTEEN_DAYS: 24,
    Frequency.BIWEEKLY: 26,
    Frequency.WEEKLY: 52,
}


class DayCount(enum.StrEnum):
    ACT_365 = "act/365"
    ACT_360 = "act/360"
    THIRTY_360 = "30/360"
    ACT_ACT = "act/act"  # ISDA: each day over the length of its own year (365 or 366)
    ACT_364 = "act/364"  # a 364-day year (52 weeks)

    @property
    def days_in_year(self) -> int:
        """For a daily rate (penalty interest): act/act charges a day as 1/365."""
        return {DayCount.ACT_360: 360, DayCount.THIRTY_360: 360, DayCount.ACT_364: 364}.get(self, 365)


class InterestMethod(enum.StrEnum):
    DECLINING_BALANCE = "declining_balance"  # each period's interest on the balance still owed
    FLAT = "flat"  # each period's interest on the original principal


class EmiMethod(enum.StrEnum):
    NOMINAL = "nominal"  # the equal installment from rate / periods a year
    PROGRESSIVE = "progressive"  # from each period's own rate (its day-count fraction), as Fineract's progressive loans


class InterestRecalculation(enum.StrEnum):
    """Fineract's "interest recalculation": each day's interest on the balance actually owed that day."""

    NONE = "none"  # the schedule's interest stands, whenever the installments are paid
    DAILY = "daily"  # principal unpaid after its due date keeps bearing interest at the loan's rate
    COMPOUNDING = "compounding"  # and so does interest billed and unpaid (compounded on due dates)


class FeeTreatment(enum.StrEnum):
    DEDUCTED = "deducted"  # taken out of the proceeds: the borrower receives less
    FINANCED = "financed"  # added to the principal: the borrower repays it with interest


class PrepaymentEffect(enum.StrEnum):
    SHORTEN_TERM = "shorten_term"  # keep the installment, finish earlier
    LOWER_INSTALLMENT = "lower_installment"  # keep the due dates, pay less each time


class LoanState(enum.StrEnum):
    ACTIVE = "active"
    SETTLED = "settled"
    CHARGED_OFF = "charged_off"
    WRITTEN_OFF = "written_off"


# A charged-off or written-off loan is off the books, but its debt may still be recovered.
RECOVERABLE_STATES = frozenset({LoanState.CHARGED_OFF.value, LoanState.WRITTEN_OFF.value})


class RepaymentKind(enum.StrEnum):
    REPAYMENT = "repayment"  # on an active loan, through the waterfall
    RECOVERY = "recovery"  # on a charged-off or written-off loan: recovery income


@dataclass(frozen=True, slots=True)
class Product:
    """A loan product: the terms a loan is written on, as data.

    `version` is 0 until the product is stored; storing a product whose code
    exists makes the next version, and loans keep the version they were on.
    Amounts are minor units of `currency`; rates are yearly fractions.
    """

    code: str
    name: str
    currency: str
    method: Method
    frequency: Frequency
    rate: Decimal  # nominal yearly rate, e.g. Decimal("0.18")
    term: int  # number of periods of `frequency`
    day_count: DayCount = DayCount.THIRTY_360
    rounding: Rounding = Rounding.HALF_UP
    installment_rounding: int = 1  # installments are a multiple of this many minor units
    grace_days: int = 0
    penalty_rate: Decimal = Decimal("0")  # yearly rate on overdue principal
    origination_fee_rate: Decimal = Decimal("0")
    origination_fee_treatment: FeeTreatment = FeeTreatment.DEDUCTED
    late_fee: int = 0  # minor units, charged once per installment that becomes late
    prepayment_allowed: bool = True
    prepayment_fee_rate: Decimal = Decimal("0")
    prepayment_effect: PrepaymentEffect = PrepaymentEffect.SHORTEN_TERM
    waterfall: Waterfall = DEFAULT_WATERFALL
    min_amount: int = 0
    max_amount: int = 0  # 0: no upper limit
    # The longest a loan on this product may run, in periods from its open date, however it is
    # modified later (hardship plans); 0: no limit beyond a schedule's 600 periods.
    max_term: int = 0
    # Schedule settings (docs/lending.md, "Interest methods, grace, calendars and installments"):
    interest_method: InterestMethod = InterestMethod.DECLINING_BALANCE
    grace_principal_periods: int = 0  # the first periods repay no principal (interest only)
    grace_interest_periods: int = 0  # the first periods' interest is deferred to the first installment after them
    interest_free_periods: int = 0  # the first periods charge no interest at all
    emi_method: EmiMethod = EmiMethod.NOMINAL
    rebalance_installment: bool = False  # raise or lower the installment until the last one is no larger
    interest_recalculation: InterestRecalculation = InterestRecalculation.NONE
    # Tranches (docs/lending.md, "Tranches"): how many disbursements a loan may have, the first included;
    # 1: a single disbursement. A loan takes more only when booked with an approved amount.
    max_tranches: int = 1
    # The product's own due day (docs/lending.md, "A first due date"): 1 to 28, every installment falls due
    # on that day of the month, the first at least `first_period_min_days` after the open date (a broken first
    # period, priced by the day count); 0: a month after the open date. Monthly installment products only; a
    # first due date the borrower chooses is taken over it.
    due_day: int = 0
    first_period_min_days: int = 0
    version: int = 0

    def __post_init__(self) -> None:
        exponent(self.currency)
        if not self.code or not self.code.replace("-", "").replace("_", "").isalnum() or len(self.code) > 40:
            raise Invalid("product_code_invalid", "a product code is 1-40 letters, digits, '-' or '_'")
        for name in ("rate", "penalty_rate", "origination_fee_rate", "prepayment_fee_rate"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or value > 10:
                raise Invalid("product_rate_invalid", f"{name} must be a Decimal between 0 and 10")
        if not 1 <= self.term <= 600:
            raise Invalid("product_term_invalid", "term must be between 1 and 600 periods")
        if self.installment_rounding < 1 or self.grace_days < 0 or self.late_fee < 0:
            raise Invalid("product_invalid", "installment_rounding >= 1, grace_days >= 0 and late_fee >= 0")
        if self.min_amount < 0 or (self.max_amount and self.max_amount < self.min_amount):
            raise Invalid("product_amounts_invalid", "0 <= min_amount <= max_amount (0: no maximum)")
        if self.max_term and not self.term <= self.max_term <= 600:
            raise Invalid("product_max_term_invalid", "max_term is 0 (no limit) or between term and 600 periods")
        graces = (self.grace_principal_periods, self.grace_interest_periods, self.interest_free_periods)
        if any(not isinstance(g, int) or g < 0 or g >= self.term for g in graces):
            raise Invalid("product_grace_invalid", "grace and interest-free periods are whole numbers below the term")
        if not isinstance(self.max_tranches, int) or not 1 <= self.max_tranches <= 12:
            raise Invalid("product_tranches_invalid", "max_tranches is a whole number from 1 to 12")
        if not isinstance(self.due_day, int) or not 0 <= self.due_day <= 28:
            raise Invalid("product_due_day_invalid", "due_day is 0 (a month after the open date) or a day from 1 to 28")
        if self.due_day and (self.frequency is not Frequency.MONTHLY or self.method is Method.SINGLE_PAYMENT):
            raise Invalid("product_due_day_invalid", "a due day of the month needs monthly installments")
        if not isinstance(self.first_period_min_days, int) or not 0 <= self.first_period_min_days <= 90:
            raise Invalid("product_first_period_invalid", "first_period_min_days is a whole number from 0 to 90")
        if self.interest_recalculation is not InterestRecalculation.NONE and (
            self.interest_method is InterestMethod.FLAT or self.method is Method.SINGLE_PAYMENT
        ):
            # Flat interest is on the original principal, whatever is owed; a single payment has no
            # installment after the one it would move the interest into.
            raise Invalid(
                "product_recalculation_invalid",
                "interest_recalculation needs declining-balance interest and more than one installment",
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "currency": self.currency,
            "method": self.method.value,
            "frequency": self.frequency.value,
            "rate": str(self.rate),
            "term": self.term,
            "day_count": self.day_count.value,
            "rounding": self.rounding.value,
            "installment_rounding": self.installment_rounding,
            "grace_days": self.grace_days,
            "penalty_rate": str(self.penalty_rate),
            "origination_fee_rate": str(self.origination_fee_rate),
            "origination_fee_treatment": self.origination_fee_treatment.value,
            "late_fee": self.late_fee,
            "prepayment_allowed": self.prepayment_allowed,
            "prepayment_fee_rate": str(self.prepayment_fee_rate),
            "prepayment_effect": self.prepayment_effect.value,
            "waterfall": self.waterfall.to_list(),
            "min_amount": self.min_amount,
            "max_amount": self.max_amount,
            "max_term": self.max_term,
            "interest_method": self.interest_method.value,
            "grace_principal_periods": self.grace_principal_periods,
            "grace_interest_periods": self.grace_interest_periods,
            "interest_free_periods": self.interest_free_periods,
            "emi_method": self.emi_method.value,
            "rebalance_installment": self.rebalance_installment,
            "interest_recalculation": self.interest_recalculation.value,
            "max_tranches": self.max_tranches,
            "due_day": self.due_day,
            "first_period_min_days": self.first_period_min_days,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Product:
        """A product from plain data (JSON, TOML, an API body); unknown keys are refused."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise Invalid("product_unknown_field", f"unknown product field {unknown[0]!r}")
        converters: dict[str, Any] = {
            "method": Method,
            "frequency": Frequency,
            "day_count": DayCount,
            "rounding": Rounding,
            "origination_fee_treatment": FeeTreatment,
            "prepayment_effect": PrepaymentEffect,
            "interest_method": InterestMethod,
            "emi_method": EmiMethod,
            "interest_recalculation": InterestRecalculation,
            "rate": _decimal,
            "penalty_rate": _decimal,
            "origination_fee_rate": _decimal,
            "prepayment_fee_rate": _decimal,
            "waterfall": Waterfall.from_list,
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            convert = converters.get(key)
            try:
                kwargs[key] = convert(value) if convert is not None else value
            except (ValueError, TypeError) as exc:
                raise Invalid("product_field_invalid", f"{key}: {exc}") from None
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise Invalid("product_field_missing", str(exc)) from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, (float, bool)):
        raise ValueError("write rates as strings, e.g. '0.18'")
    return Decimal(str(value))
