"""A loan's whole schedule and APR on a product (`build_schedule`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fairlend.errors import Invalid
from fairlend.jurisdiction.model import AprMethod
from fairlend.lending.model import FeeTreatment, Method, Product
from fairlend.lending.schedule.apr import annual_rate
from fairlend.lending.schedule.calendar import (
    product_first_due,
    schedule_periods,
    single_payment_period,
    year_fraction,
)
from fairlend.lending.schedule.lines import Line, round_minor
from fairlend.lending.schedule.terms import merge_empty, product_lines, regular_from
from fairlend.money import Money

MAX_PERIODS = 600


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
    regular_installment: int = 0  # the installment after any grace; 0: the first line's

    @property
    def installment(self) -> int:
        return self.regular_installment or self.lines[0].total

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
    installment: int | None = None,
) -> Schedule:
    """The schedule and APR of a loan of `amount` minor units on `product`.

    `fee` replaces the product's origination fee rate with an amount agreed
    elsewhere (an offer's fee), treated as the product says. `first_due` (the
    borrower's choice) is taken over the product's due day. `installment`
    fixes the equal installment instead of the term: the schedule runs until
    it has repaid the principal (at most 600 periods), and the term is derived.
    """
    rate = product.rate if rate is None else rate
    term = product.term if term is None else term
    if not isinstance(rate, Decimal) or rate < 0 or rate > 10:
        raise Invalid("rate_invalid", "the rate is a Decimal between 0 and 10")
    if not 1 <= term <= MAX_PERIODS:
        raise Invalid("term_invalid", "the term is between 1 and 600 periods")
    if amount <= 0:
        raise Invalid("amount_not_positive", "the loan amount must be positive")
    if amount < product.min_amount or (product.max_amount and amount > product.max_amount):
        raise Invalid("amount_out_of_range", f"product {product.code} lends between its minimum and maximum amounts")
    _check_settings(product, term, installment)
    if fee is None:
        fee = round_minor(Decimal(amount) * product.origination_fee_rate, product.rounding)
    elif fee < 0:
        raise Invalid("fee_negative", "a fee cannot be negative")
    financed = product.origination_fee_treatment is FeeTreatment.FINANCED
    principal = amount + fee if financed else amount
    disbursed = amount if financed else amount - fee
    if disbursed <= 0:
        raise Invalid("fee_exceeds_amount", "the origination fee leaves nothing to disburse")
    if first_due is None and product.due_day:
        first_due = product_first_due(open_date, product.due_day, product.first_period_min_days)
    if product.method is Method.SINGLE_PAYMENT:
        periods = [single_payment_period(open_date, product.frequency, term, first_due)]
        index: list[int] = [term]
    else:
        count = MAX_PERIODS if installment is not None else term
        periods = schedule_periods(open_date, product.frequency, count, first_due)
        index = list(range(1, count + 1))
    try:
        raw = product_lines(principal, rate, periods, product, installment=installment)
    except Invalid as refused:
        if installment is None or refused.code != "schedule_negative_principal":
            raise
        raise Invalid("installment_too_small", "the installment does not cover a period's interest; raise it") from None
    if installment is not None:
        _check_fixed_installment(product, raw, installment)
    regular = raw[min(regular_from(product), len(raw) - 1)].total if product.method is not Method.SINGLE_PAYMENT else 0
    lines, times = merge_empty(raw, index[: len(raw)], regular_from(product))
    apr_times: list[int | Decimal] = list(times)
    if periods[0].broken:
        # A broken first period is a fraction of a period (Regulation Z's odd days), not a whole one: its
        # length by the day count its interest was charged by, so every payment falls that much sooner or
        # later than the period numbers say, and odd days cost what they are charged.
        odd = year_fraction(product.day_count, periods[0]) * product.frequency.apr_periods
        apr_times = [t - 1 + odd for t in times]
    apr = annual_rate(disbursed, [line.total for line in lines], apr_times, product.frequency, apr_method)
    return Schedule(
        product.currency,
        amount,
        principal,
        fee,
        disbursed,
        tuple(lines),
        apr,
        product.frequency.periods_per_year,
        tuple(times),
        regular if regular != lines[0].total else 0,
    )


def _check_settings(product: Product, term: int, installment: int | None) -> None:
    graces = (product.grace_principal_periods, product.grace_interest_periods, product.interest_free_periods)
    if product.method is Method.SINGLE_PAYMENT and any(graces):
        raise Invalid("grace_single_payment", "a single-payment loan has one period: it cannot have grace periods")
    if installment is None and any(g >= term for g in graces):
        raise Invalid("grace_invalid", "grace and interest-free periods are fewer than the term")
    if installment is not None:
        if product.method is not Method.EQUAL_INSTALLMENT:
            raise Invalid("installment_method", "a fixed installment needs the equal-installment method")
        if installment <= 0:
            raise Invalid("installment_not_positive", "a fixed installment must be positive")


def _check_fixed_installment(product: Product, raw: list[Line], installment: int) -> None:
    if len(raw) == MAX_PERIODS and raw[-1].total > installment:
        raise Invalid(
            "installment_too_small",
            "the installment does not repay the loan within 600 periods; raise it",
        )
    if product.max_term and len(raw) > product.max_term:
        raise Invalid(
            "installment_term_above_max", f"the installment needs {len(raw)} periods, above the product's max_term"
        )
