"""Origination's pure rules: grade, rate, limit and the decision.

A score maps to one of 35 grades, A1 (best) to G5; a grade maps to a nominal
rate. The rate is never above the jurisdiction's APR cap: a grade whose price
would exceed the cap is declined, never offered at a higher APR.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from fairlend.jurisdiction.model import MarketplaceProfile
from fairlend.money import Money, Rounding

GRADES: tuple[str, ...] = tuple(f"{letter}{n}" for letter in "ABCDEFG" for n in range(1, 6))


class Decision(enum.StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    REFER = "refer"


class ApplicationStatus(enum.StrEnum):
    OFFERED = "offered"
    DECLINED = "declined"
    REFERRED = "referred"
    ACCEPTED = "accepted"


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    LISTED = "listed"  # accepted by the person, waiting on its marketplace listing to fund
    ACCEPTED = "accepted"  # funded: the loan is booked
    NOT_FUNDED = "not_funded"  # its listing was cancelled: no loan


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    """The lender's appetite; every number a setting, none a constant in code."""

    decline_below: int = 430
    approve_from: int = 480
    grade_top: int = 650  # A1 from this score up
    grade_step: int = 6  # points per grade below A1
    base_rate: Decimal = Decimal("0.06")  # A1's nominal rate
    rate_step: Decimal = Decimal("0.005")  # added per grade
    fee_rate: Decimal = Decimal("0.01")  # origination fee, deducted at disbursement
    max_debt_to_income: Decimal = Decimal("1.0")  # total debt at most a year's verified income
    income_months_limit: int = 6  # never lend more than six months' verified income
    unverified_limit_minor: int = 500_000  # without verified income: 5,000.00
    max_limit_minor: int = 20_000_000  # 200,000.00
    min_amount_minor: int = 100_000  # 1,000.00
    min_term_months: int = 3
    max_term_months: int = 36
    offer_valid_days: int = 14
    limit_rounding_minor: int = 10_000  # limits in whole hundreds


def grade_for(score: int, policy: CreditPolicy) -> str:
    index = 0 if score >= policy.grade_top else 1 + (policy.grade_top - 1 - score) // policy.grade_step
    return GRADES[min(index, len(GRADES) - 1)]


def rate_for(grade: str, policy: CreditPolicy) -> Decimal:
    return policy.base_rate + policy.rate_step * GRADES.index(grade)


def _limit(verified_monthly_income: Money | None, total_debt: Money, policy: CreditPolicy) -> tuple[int, str]:
    """The raw limit in minor units and the rule that set it (see `limit_reason`)."""
    if verified_monthly_income is None or verified_monthly_income.minor <= 0:
        raw, reason = policy.unverified_limit_minor, "no_verified_income"
    else:
        headroom = verified_monthly_income.times(12 * policy.max_debt_to_income, Rounding.DOWN).minor - total_debt.minor
        months = verified_monthly_income.minor * policy.income_months_limit
        raw, reason = (headroom, "debt_headroom") if headroom < months else (months, "income_months")
    if raw > policy.max_limit_minor:
        return policy.max_limit_minor, "maximum"
    return raw, reason


def p2p_headroom(market: MarketplaceProfile, here: Money, everywhere: Money) -> Money | None:
    """MK-3: what one borrower may still borrow when retail P2P is on; None where no cap applies.

    `here` is what the person owes this platform, `everywhere` what they owe every lender
    (both as the bureau reports them, this platform included)."""
    if not market.retail:
        return None
    left = [
        cap - owed.minor
        for cap, owed in ((market.borrower_cap_minor, here), (market.borrower_cap_all_minor, everywhere))
        if cap > 0
    ]
    return Money(max(0, min(left)), here.currency) if left else None


def limit_reason(verified_monthly_income: Money | None, total_debt: Money, policy: CreditPolicy) -> str:
    """Which rule set `limit_for`'s answer: told to a person granted less than they asked."""
    return _limit(verified_monthly_income, total_debt, policy)[1]


def limit_for(verified_monthly_income: Money | None, total_debt: Money, policy: CreditPolicy, currency: str) -> Money:
    """What the person can borrow: from verified income, less the debt they already carry."""
    raw = max(0, _limit(verified_monthly_income, total_debt, policy)[0])
    return Money(raw - raw % policy.limit_rounding_minor, currency)


@dataclass(frozen=True, slots=True)
class Outcome:
    decision: Decision
    grade: str | None
    nominal_rate: Decimal | None
    limit: Money
    amount: Money  # what would be lent: min(requested, limit)
    codes: tuple[str, ...]  # why: stable codes for declines and referrals
    limit_reason: str = ""  # the rule that set the limit (`limit_reason`)


def decide(
    score: int,
    requested: Money,
    limit: Money,
    *,
    overdue_now: bool,
    apr_cap: Decimal,
    policy: CreditPolicy,
) -> Outcome:
    grade = grade_for(score, policy)
    rate = rate_for(grade, policy)
    amount = min(requested, limit)
    zero = Money.zero(requested.currency)
    if score < policy.decline_below:
        return Outcome(Decision.DECLINE, None, None, limit, zero, ("score_below_cutoff",))
    if rate > apr_cap:
        return Outcome(Decision.DECLINE, None, None, limit, zero, ("risk_not_priceable_under_apr_cap",))
    if amount.minor < policy.min_amount_minor:
        return Outcome(Decision.DECLINE, grade, None, limit, zero, ("limit_below_minimum_loan",))
    codes: list[str] = []
    if score < policy.approve_from:
        codes.append("score_in_review_band")
    if overdue_now:
        codes.append("overdue_now")
    if codes:
        return Outcome(Decision.REFER, grade, rate, limit, amount, tuple(codes))
    return Outcome(Decision.APPROVE, grade, rate, limit, amount, ())


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    principal: Money
    interest: Money
    fee: Money

    @property
    def total(self) -> Money:
        return self.principal + self.interest + self.fee


@dataclass(frozen=True, slots=True)
class Quote:
    amount: Money
    term_months: int
    nominal_rate: Decimal
    apr: Decimal
    fee: Money
    installments: tuple[Installment, ...]

    @property
    def total_interest(self) -> Money:
        total = Money.zero(self.amount.currency)
        for i in self.installments:
            total = total + i.interest
        return total

    @property
    def total_repayable(self) -> Money:
        total = Money.zero(self.amount.currency)
        for i in self.installments:
            total = total + i.total
        return total

    @property
    def total_cost(self) -> Money:
        """Everything paid beyond the amount lent: interest and fees."""
        return self.total_interest + self.fee


# -- events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplicationDecided:
    event_type: ClassVar[str] = "origination.ApplicationDecided"
    application_id: str
    borrower_id: str
    decision: str
    score: int
    grade: str | None
    codes: tuple[str, ...]
    reasons: tuple[str, ...]
    decided_by: str  # "model" or an underwriter's id
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.application_id


@dataclass(frozen=True, slots=True)
class OfferMade:
    event_type: ClassVar[str] = "origination.OfferMade"
    offer_id: str
    application_id: str
    borrower_id: str
    amount: Money
    term_months: int
    nominal_rate: Decimal
    apr: Decimal
    expires_at: datetime
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.offer_id


@dataclass(frozen=True, slots=True)
class OfferAccepted:
    event_type: ClassVar[str] = "origination.OfferAccepted"
    offer_id: str
    contract_id: str
    loan_id: str
    borrower_id: str
    amount: Money
    term_months: int
    nominal_rate: Decimal
    apr: Decimal
    fee: Money
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.offer_id


PURPOSES: tuple[str, ...] = ("personal", "debt_consolidation", "education", "home", "medical", "car", "business")


@dataclass(frozen=True, slots=True)
class ListingFacts:
    """What a marketplace listing may show of an application: amounts and flags, never who (MK-6)."""

    verified_monthly_income_minor: int | None
    total_debt_minor: int
    credit_history_months: int | None  # since the oldest account on the bureau file
    identity_verified: bool
    bank_card_verified: bool
    income_verified: bool
    inquiries_6_months: int
    purpose: str = "personal"

    def to_json(self) -> dict[str, object]:
        return {
            "verified_monthly_income_minor": self.verified_monthly_income_minor,
            "total_debt_minor": self.total_debt_minor,
            "credit_history_months": self.credit_history_months,
            "identity_verified": self.identity_verified,
            "bank_card_verified": self.bank_card_verified,
            "income_verified": self.income_verified,
            "inquiries_6_months": self.inquiries_6_months,
            "purpose": self.purpose,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ListingFacts:
        def opt(key: str) -> int | None:
            value = data.get(key)
            return None if value is None else int(str(value))

        return cls(
            verified_monthly_income_minor=opt("verified_monthly_income_minor"),
            total_debt_minor=int(str(data.get("total_debt_minor", 0))),
            credit_history_months=opt("credit_history_months"),
            identity_verified=bool(data.get("identity_verified")),
            bank_card_verified=bool(data.get("bank_card_verified")),
            income_verified=bool(data.get("income_verified")),
            inquiries_6_months=int(str(data.get("inquiries_6_months", 0))),
            purpose=str(data.get("purpose", "personal")),
        )
