"""A jurisdiction profile's hardship section: the modification kinds, re-age limits, clocks and decline reasons.

Pure data (RULES.md and docs/hardship.md); `jurisdiction.model` re-exports every name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class HolidayInterest(enum.StrEnum):
    ACCRUE = "accrue"  # interest runs through the holiday and is spread over the installments after it
    WAIVE = "waive"  # no interest for the holiday


@dataclass(frozen=True, slots=True)
class PaymentHoliday:
    """N periods without payment (延期还款); the term grows by N."""

    enabled: bool
    version: int
    max_periods: int
    interest: HolidayInterest


@dataclass(frozen=True, slots=True)
class TermExtension:
    """More periods, the balance re-amortised (equal installment or equal principal)."""

    enabled: bool
    version: int
    max_extra_periods: int


@dataclass(frozen=True, slots=True)
class ReducedInstallments:
    """A smaller installment for N periods, then the rest re-amortised."""

    enabled: bool
    version: int
    max_periods: int
    min_share: Decimal  # the reduced installment is at least this share of the current one
    max_extra_periods: int  # periods that may be added after the reduced ones


@dataclass(frozen=True, slots=True)
class InterestStop:
    """停息挂账 / 个性化分期: the balance frozen, repaid in principal-only installments."""

    enabled: bool
    version: int
    max_periods: int


@dataclass(frozen=True, slots=True)
class DiscountedSettlement:
    """减免结清: a lump sum below the balance settles the loan; the rest is written off."""

    enabled: bool
    version: int
    max_discount: Decimal  # at most this share of what is owed is forgiven
    pay_within_days: int  # the lump sum is due at most this many days after acceptance


@dataclass(frozen=True, slots=True)
class OperatorReschedule:
    """Fineract-style: move the due dates, change the rate (never above the cap), add grace periods."""

    enabled: bool
    version: int
    max_shift_days: int  # the first due date moves at most this many days later
    max_grace_periods: int  # interest-only periods at the start


@dataclass(frozen=True, slots=True)
class ReagePolicy:
    """When a kept plan returns a delinquent loan to current (re-age).

    `us` (FFIEC Uniform Retail Credit Classification policy): at least 3
    consecutive on-time plan payments, at most once in 12 months and twice in
    5 years. `cn`: the status stays as reported until the plan's first payment,
    then N. A limit of 0 is no limit.
    """

    rule: str
    payments_required: int
    consecutive_on_time: bool  # only on-time payments count, and a late one starts the count over
    max_in_12_months: int
    max_in_5_years: int


class DeclineReason(enum.StrEnum):
    """Why a hardship request is declined: stable codes the borrower sees explained, as a declined application's.

    Here, not in hardship's model, because the profile names the ones that start a cool-down
    (`HardshipProfile.cooldown_reasons`); `fairlend.hardship.model` re-exports it.
    """

    AFFORDABILITY = "affordability"  # no plan the borrower could keep fits what they can pay
    NOT_IN_HARDSHIP = "not_in_hardship"  # the loan is current and the statement shows no hardship
    PLAN_RECENTLY_BROKEN = "plan_recently_broken"
    REAGE_LIMIT = "reage_limit"  # the profile's re-age limits are used up
    TYPE_UNAVAILABLE = "type_unavailable"
    INCOMPLETE = "incomplete"  # the statement or evidence does not support the request
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class HardshipProfile:
    """Hardship plans (协商还款): the answer clock, maker-checker, keeping and breaking, re-age, the types."""

    version: int  # of this whole rule set; a plan records the version it was made under
    answer_days: int  # a borrower's request is answered within this many calendar days
    answer_rule: str
    approval_threshold_minor: int  # concessions above this need a second operator's approval
    break_grace_days: int  # a plan installment unpaid this many days after its due date ends the plan
    consent_version: str  # the text the borrower agrees to when accepting a plan
    offer_valid_days: int  # an offer not accepted within this many days of being made expires
    cooldown_days: int  # after a decline or an expired offer, no new request on the loan for this many days
    cooldown_reasons: tuple[DeclineReason, ...]  # a decline starts the cool-down when it gives one of these
    reage: ReagePolicy
    payment_holiday: PaymentHoliday
    term_extension: TermExtension
    reduced_installments: ReducedInstallments
    interest_stop: InterestStop
    discounted_settlement: DiscountedSettlement
    operator_reschedule: OperatorReschedule
