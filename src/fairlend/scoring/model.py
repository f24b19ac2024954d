"""What the comprehensive score knows about a person, and the features drawn from it.

Pure: frozen dataclasses and functions. Other contexts never hand their own
types to scoring; origination maps identity's KYC levels and certificates and
the bureau's report onto `ApplicantFacts`.

No protected characteristic (sex, ethnicity, religion, age, ...) and no contact
data exist here, so no feature can be drawn from them (RULES.md P-5, EU-1).
"""

from __future__ import annotations

import calendar
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from fairlend.money import Money, sum_money
from fairlend.scoring.binning import Direction, ValuePolicy

NO_DELINQUENCY_MONTHS = 999.0  # months since the last delinquency when none is on file
INQUIRY_WINDOWS_DAYS = {"hard_inquiries_1m": 30, "hard_inquiries_3m": 90, "hard_inquiries_6m": 180}


class CertificateKind(enum.StrEnum):
    SALARY_FLOW = "salary_flow"
    SOCIAL_SECURITY = "social_security"
    HOUSING_FUND = "housing_fund"
    PROPERTY = "property"
    VEHICLE = "vehicle"


INCOME_KINDS = frozenset({CertificateKind.SALARY_FLOW, CertificateKind.SOCIAL_SECURITY, CertificateKind.HOUSING_FUND})
ASSET_KINDS = frozenset({CertificateKind.PROPERTY, CertificateKind.VEHICLE})


@dataclass(frozen=True, slots=True)
class KycFacts:
    phone_verified: bool = False
    identity_verified: bool = False
    bank_card_verified: bool = False


@dataclass(frozen=True, slots=True)
class CertificateFact:
    """An APPROVED certificate: income kinds carry a monthly income, asset kinds a value."""

    kind: CertificateKind
    amount: Money | None
    approved_on: date


@dataclass(frozen=True, slots=True)
class CreditAccount:
    lender: str
    revolving: bool
    opened_on: date
    balance: Money
    credit_limit: Money | None = None  # revolving accounts


@dataclass(frozen=True, slots=True)
class DelinquencyRecord:
    """A negative record: `ended_on` None while the overdue is still unpaid."""

    lender: str
    worst_band: int  # 1..7: 1-30, 31-60, ... over 180 days (CN-17)
    began_on: date
    ended_on: date | None
    overdue_amount: Money  # still owed while open


@dataclass(frozen=True, slots=True)
class CreditSummary:
    accounts: tuple[CreditAccount, ...] = ()
    delinquencies: tuple[DelinquencyRecord, ...] = ()
    hard_inquiries: tuple[date, ...] = ()


@dataclass(frozen=True, slots=True)
class ApplicantFacts:
    currency: str
    kyc: KycFacts = KycFacts()
    certificates: tuple[CertificateFact, ...] = ()
    credit: CreditSummary = CreditSummary()
    requested_amount: Money | None = None
    stated_monthly_income: Money | None = None  # declared, unverified: never a feature, only for the plan


@dataclass(frozen=True, slots=True)
class FeatureDef:
    name: str
    direction: Direction
    describe: str  # the reason, told to the person
    missing: ValuePolicy | None = None
    is_inquiry: bool = False
    # The reason when the value is missing: "revolving credit is highly used" told to someone
    # with no revolving line would contradict their own report.
    describe_missing: str | None = None


# Directions are declared for every feature: the levers' directions are the
# promises the plan makes (one more inquiry never adds points, more verified
# information never loses any) and the property tests check them.
FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef("phone_verified", Direction.INCREASING, "Mobile number not verified"),
    FeatureDef("identity_verified", Direction.INCREASING, "Identity not verified"),
    FeatureDef("bank_card_verified", Direction.INCREASING, "Real-name bank card not verified"),
    FeatureDef("income_verified", Direction.INCREASING, "No approved income certificate"),
    FeatureDef("asset_certificates", Direction.INCREASING, "Few approved asset certificates"),
    FeatureDef("total_debt", Direction.DECREASING, "Total debt is high"),
    FeatureDef(
        "debt_to_income",
        Direction.DECREASING,
        "Debt is high against verified income",
        ValuePolicy.WORST,
        describe_missing="No verified income to weigh debt against",
    ),
    FeatureDef(
        "revolving_utilisation",
        Direction.DECREASING,
        "Revolving credit is highly used",
        describe_missing="No revolving credit line on file",
    ),
    FeatureDef("overdue_amount", Direction.DECREASING, "An amount is overdue now"),
    FeatureDef("worst_status", Direction.DECREASING, "Serious delinquency on file"),
    FeatureDef("months_since_delinquency", Direction.INCREASING, "Recent delinquency"),
    FeatureDef("hard_inquiries_1m", Direction.DECREASING, "Hard inquiries in the last month", is_inquiry=True),
    FeatureDef("hard_inquiries_3m", Direction.DECREASING, "Hard inquiries in the last 3 months", is_inquiry=True),
    FeatureDef("hard_inquiries_6m", Direction.DECREASING, "Hard inquiries in the last 6 months", is_inquiry=True),
    FeatureDef("distinct_lenders", Direction.DECREASING, "Borrowing from many lenders"),
    FeatureDef("history_months", Direction.INCREASING, "Short credit history"),
    FeatureDef(
        "amount_to_income",
        Direction.DECREASING,
        "Amount asked is high against verified income",
        ValuePolicy.WORST,
        describe_missing="No verified income to weigh the amount asked against",
    ),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
FEATURE_BY_NAME: Mapping[str, FeatureDef] = {f.name: f for f in FEATURES}


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


@dataclass(frozen=True, slots=True)
class Retention:
    """When a negative record leaves the file: `years` after the overdue ended (CN-12), or,
    with `from_first_delinquency`, `years` counted from 180 days after it began (CR-6)."""

    years: int
    from_first_delinquency: bool = False

    def removal_date(self, record: DelinquencyRecord) -> date | None:
        if self.from_first_delinquency:
            return add_years(record.began_on + timedelta(days=180), self.years)
        return add_years(record.ended_on, self.years) if record.ended_on is not None else None


def retained(record: DelinquencyRecord, as_of: date, retention: Retention) -> bool:
    removal = retention.removal_date(record)
    return removal is None or as_of < removal


def verified_monthly_income(facts: ApplicantFacts) -> Money | None:
    incomes = [c.amount for c in facts.certificates if c.kind in INCOME_KINDS and c.amount is not None]
    return max(incomes) if incomes else None


def _major(money: Money) -> float:
    return float(money.to_decimal())


def features(facts: ApplicantFacts, as_of: date, retention: Retention) -> dict[str, float]:
    """The feature row of a person on a date; NaN marks a missing value."""
    credit = facts.credit
    currency = facts.currency
    income = verified_monthly_income(facts)
    total_debt = sum_money([a.balance for a in credit.accounts], currency)
    revolving = [a for a in credit.accounts if a.revolving and a.credit_limit is not None and a.credit_limit.minor > 0]
    limits = sum(a.credit_limit.minor for a in revolving if a.credit_limit is not None)
    on_file = [d for d in credit.delinquencies if d.began_on <= as_of and retained(d, as_of, retention)]
    open_records = [d for d in on_file if d.ended_on is None or d.ended_on > as_of]
    if open_records:
        since = 0.0
    elif on_file:
        last_end = max(d.ended_on for d in on_file if d.ended_on is not None)
        since = float(months_between(last_end, as_of))
    else:
        since = NO_DELINQUENCY_MONTHS
    row: dict[str, float] = {
        "phone_verified": float(facts.kyc.phone_verified),
        "identity_verified": float(facts.kyc.identity_verified),
        "bank_card_verified": float(facts.kyc.bank_card_verified),
        "income_verified": float(income is not None),
        "asset_certificates": float(len({c.kind for c in facts.certificates if c.kind in ASSET_KINDS})),
        "total_debt": _major(total_debt),
        "debt_to_income": _major(total_debt) / (12 * _major(income)) if income and income.minor > 0 else math.nan,
        "revolving_utilisation": sum(a.balance.minor for a in revolving) / limits if limits else math.nan,
        "overdue_amount": _major(sum_money([d.overdue_amount for d in open_records], currency)),
        "worst_status": float(max((d.worst_band for d in on_file), default=0)),
        "months_since_delinquency": since,
        "distinct_lenders": float(len({a.lender for a in credit.accounts if a.balance.minor > 0})),
        "history_months": float(
            max((months_between(a.opened_on, as_of) for a in credit.accounts if a.opened_on <= as_of), default=0)
        ),
    }
    for name, days in INQUIRY_WINDOWS_DAYS.items():
        row[name] = float(sum(1 for d in credit.hard_inquiries if as_of - timedelta(days=days) < d <= as_of))
    requested = facts.requested_amount
    if requested is None or requested.minor == 0:
        row["amount_to_income"] = 0.0  # nothing asked for (a self-check)
    else:
        row["amount_to_income"] = _major(requested) / (12 * _major(income)) if income and income.minor > 0 else math.nan
    return row


@dataclass(frozen=True, slots=True)
class Change:
    """A what-if: a changed profile, scored and never recorded."""

    pay_revolving: Money | None = None
    repay_overdue: bool = False
    verify_phone: bool = False
    verify_identity: bool = False
    verify_bank_card: bool = False
    add_certificate: CertificateFact | None = None
    extra_hard_inquiries: int = 0
    as_of: date | None = None  # score the profile as it will be on this date


def apply_change(facts: ApplicantFacts, change: Change, today: date) -> tuple[ApplicantFacts, date]:
    as_of = change.as_of or today
    credit = facts.credit
    if change.pay_revolving is not None and change.pay_revolving.minor > 0:
        left = change.pay_revolving.minor
        accounts = list(credit.accounts)
        # the most used revolving line first: that is where utilisation falls fastest
        order = sorted(
            (i for i, a in enumerate(accounts) if a.revolving),
            key=lambda i: -accounts[i].balance.minor,
        )
        for i in order:
            paid = min(left, accounts[i].balance.minor)
            accounts[i] = replace(accounts[i], balance=Money(accounts[i].balance.minor - paid, facts.currency))
            left -= paid
        credit = replace(credit, accounts=tuple(accounts))
    if change.repay_overdue:
        credit = replace(
            credit,
            delinquencies=tuple(
                replace(d, ended_on=today, overdue_amount=Money.zero(facts.currency)) if d.ended_on is None else d
                for d in credit.delinquencies
            ),
        )
    if change.extra_hard_inquiries:
        credit = replace(credit, hard_inquiries=credit.hard_inquiries + (today,) * change.extra_hard_inquiries)
    kyc = replace(
        facts.kyc,
        phone_verified=facts.kyc.phone_verified or change.verify_phone,
        identity_verified=facts.kyc.identity_verified or change.verify_identity,
        bank_card_verified=facts.kyc.bank_card_verified or change.verify_bank_card,
    )
    certificates = facts.certificates + ((change.add_certificate,) if change.add_certificate else ())
    return replace(facts, kyc=kyc, certificates=certificates, credit=credit), as_of
