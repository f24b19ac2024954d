"""Finance's pure rules: periods, the statements as data, classification and expected credit loss.

Statements are built from account activity (an opening balance and the
period's debits and credits per account, all sums of postings), so every
figure is a sum of journal lines and names the accounts that drill down to
them. Amounts are minor units on the account's normal side (assets and
expenses debit-positive; liabilities, equity and income credit-positive);
the allowance, a contra-asset, reads negative among the assets.

Classification and ECL here are the one-loan reference of what the
month-end's set-based SQL computes for the whole book (`provisions.py`); the
tests hold the two equal at every threshold.
"""

from __future__ import annotations

import enum
import re
from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from fairlend.errors import Invalid
from fairlend.jurisdiction.model import FinanceProfile, Measurement
from fairlend.ledger.model import AccountKey, AccountType, Category

# -- periods -------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True)
class Period:
    """Business dates `start` through `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise Invalid("period_reversed", f"a period ends on or after it starts ({self.start} > {self.end})")

    @property
    def label(self) -> str:
        if self.start.day == 1 and self.end == month_end(self.start):
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def parse_month(text: str) -> Period:
    """`2026-11` as the period of its days; anything else is `invalid_month`."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise Invalid("invalid_month", f"{text!r} is not a month like 2026-11")
    start = date(int(found.group(1)), int(found.group(2)), 1)
    return Period(start, month_end(start))


def months_between(first: date, last: date) -> list[Period]:
    """Each calendar month from `first`'s through `last`'s."""
    periods = []
    day = first.replace(day=1)
    while day <= last:
        periods.append(Period(day, month_end(day)))
        day = month_end(day) + timedelta(days=1)
    return periods


# -- funding sources -----------------------------------------------------------------------------


class FundingSource(enum.StrEnum):
    """Whose money an account's balance is, where the chart of accounts says (owner of a per-party account)."""

    PLATFORM = "platform"
    PARTNER = "partner"  # a funding partner (co-lending, MK-2)
    INVESTORS = "investors"  # investors' notes and cash


_HOLDER_ACCOUNTS = frozenset({AccountType.NOTES_PAYABLE, AccountType.INVESTOR_CASH})


def funding_source_of(key: AccountKey, partner_ids: frozenset[str]) -> FundingSource:
    if key.type in _HOLDER_ACCOUNTS and key.owner_id and key.owner_id != "platform":
        return FundingSource.PARTNER if key.owner_id in partner_ids else FundingSource.INVESTORS
    return FundingSource.PLATFORM


# -- statements ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Activity:
    """One account over a period (raw: debit positive): what every statement is built from."""

    key: AccountKey
    opening: int
    debits: int
    credits: int

    @property
    def closing(self) -> int:
        return self.opening + self.debits + self.credits

    @property
    def movement(self) -> int:
        return self.debits + self.credits


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of a statement; `types` (and `source`) say which journal lines it sums."""

    code: str
    amount: int  # minor units, the account's normal side
    types: tuple[AccountType, ...] = ()
    source: FundingSource | None = None

    @property
    def drillable(self) -> bool:
        return bool(self.types)


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    type: AccountType
    source: FundingSource
    opening: int
    debits: int
    credits: int  # <= 0

    @property
    def closing(self) -> int:
        return self.opening + self.debits + self.credits


@dataclass(frozen=True, slots=True)
class TrialBalance:
    currency: str
    period: Period
    rows: tuple[TrialBalanceRow, ...]

    @property
    def total_debits(self) -> int:
        return sum(r.debits for r in self.rows)

    @property
    def total_credits(self) -> int:
        return sum(r.credits for r in self.rows)

    @property
    def closing_debits(self) -> int:
        return sum(r.closing for r in self.rows if r.closing > 0)

    @property
    def closing_credits(self) -> int:
        return sum(r.closing for r in self.rows if r.closing < 0)

    @property
    def balanced(self) -> bool:
        """Debits equal credits over the period and at its end: the journal's invariant, per currency."""
        return self.total_debits + self.total_credits == 0 and self.closing_debits + self.closing_credits == 0


@dataclass(frozen=True, slots=True)
class BalanceSheet:
    currency: str
    as_of: date
    assets: tuple[Figure, ...]
    liabilities: tuple[Figure, ...]
    equity: tuple[Figure, ...]

    @property
    def total_assets(self) -> int:
        return sum(f.amount for f in self.assets)

    @property
    def total_liabilities(self) -> int:
        return sum(f.amount for f in self.liabilities)

    @property
    def total_equity(self) -> int:
        return sum(f.amount for f in self.equity)

    @property
    def balanced(self) -> bool:
        return self.total_assets == self.total_liabilities + self.total_equity


INCOME_LINES = (
    AccountType.INTEREST_INCOME,
    AccountType.FEE_INCOME,
    AccountType.PENALTY_INCOME,
    AccountType.SERVICING_FEE_INCOME,
    AccountType.RECOVERY_INCOME,
    AccountType.RECOVERY_TO_ALLOWANCE,
)
EXPENSE_LINES = (AccountType.PROVISION_EXPENSE, AccountType.CREDIT_LOSS)


@dataclass(frozen=True, slots=True)
class IncomeStatement:
    currency: str
    period: Period
    income: tuple[Figure, ...]
    expenses: tuple[Figure, ...]

    @property
    def total_income(self) -> int:
        return sum(f.amount for f in self.income)

    @property
    def total_expenses(self) -> int:
        return sum(f.amount for f in self.expenses)

    @property
    def net_income(self) -> int:
        return self.total_income - self.total_expenses


CASH_ACCOUNTS = (AccountType.PLATFORM_CASH, AccountType.CUSTODY_CASH, AccountType.REPAYMENT_CLEARING)
_SECTIONS = {"loan": "lending", "repayment": "lending", "eod": "lending", "market": "investors", "wallet": "investors"}


def cash_section(kind: str) -> str:
    """Which part of the cash-flow statement an entry kind's cash belongs to."""
    return _SECTIONS.get(kind.split("_", 1)[0], "other")


@dataclass(frozen=True, slots=True)
class CashLine:
    section: str
    kind: str  # the journal entry kind: drill down by kind on the cash accounts
    amount: int  # net cash in (positive) or out (negative)


@dataclass(frozen=True, slots=True)
class CashFlow:
    currency: str
    period: Period
    opening: int
    lines: tuple[CashLine, ...]

    @property
    def net_change(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def closing(self) -> int:
        return self.opening + self.net_change


def _normal(account_type: AccountType, raw: int) -> int:
    return raw if account_type.category.debit_normal else -raw


def trial_balance(
    currency: str, period: Period, activity: Iterable[Activity], partners: frozenset[str]
) -> TrialBalance:
    """Per account type and funding source: the owners of per-party accounts are summed, never listed."""
    sums: dict[tuple[AccountType, FundingSource], list[int]] = {}
    for a in activity:
        if a.key.currency != currency:
            continue
        row = sums.setdefault((a.key.type, funding_source_of(a.key, partners)), [0, 0, 0])
        row[0] += a.opening
        row[1] += a.debits
        row[2] += a.credits
    order = {t: i for i, t in enumerate(AccountType)}
    rows = tuple(
        TrialBalanceRow(t, s, op, dr, cr)
        for (t, s), (op, dr, cr) in sorted(sums.items(), key=lambda kv: (order[kv[0][0]], kv[0][1].value))
        if op or dr or cr
    )
    return TrialBalance(currency, period, rows)


def balance_sheet(tb: TrialBalance) -> BalanceSheet:
    """At the trial balance's end: assets = liabilities + equity, retained earnings being income less expenses."""
    sections: dict[Category, list[Figure]] = {c: [] for c in Category}
    retained = 0
    for row in tb.rows:
        category = row.type.category
        if category in (Category.INCOME, Category.EXPENSE):
            retained -= row.closing
            continue
        if row.closing:
            source = row.source if row.type in _HOLDER_ACCOUNTS else None
            sections[category].append(Figure(row.type.value, _normal(row.type, row.closing), (row.type,), source))
    equity = [*sections[Category.EQUITY], Figure("retained_earnings", retained, INCOME_LINES + EXPENSE_LINES)]
    return BalanceSheet(
        tb.currency, tb.period.end, tuple(sections[Category.ASSET]), tuple(sections[Category.LIABILITY]), tuple(equity)
    )


def income_statement(tb: TrialBalance) -> IncomeStatement:
    moved: dict[AccountType, int] = {}
    for row in tb.rows:
        moved[row.type] = moved.get(row.type, 0) + row.debits + row.credits

    def figures(types: Sequence[AccountType]) -> tuple[Figure, ...]:
        return tuple(Figure(t.value, _normal(t, moved.get(t, 0)), (t,)) for t in types)

    return IncomeStatement(tb.currency, tb.period, figures(INCOME_LINES), figures(EXPENSE_LINES))


def cash_flow(currency: str, period: Period, activity: Iterable[Activity], by_kind: Mapping[str, int]) -> CashFlow:
    opening = sum(a.opening for a in activity if a.key.currency == currency and a.key.type in CASH_ACCOUNTS)
    lines = tuple(
        sorted(
            (CashLine(cash_section(kind), kind, amount) for kind, amount in by_kind.items() if amount),
            key=lambda line: (line.section, line.kind),
        )
    )
    return CashFlow(currency, period, opening, lines)


# -- classification ------------------------------------------------------------------------------


def class_by_days(days_past_due: int, finance: FinanceProfile) -> int:
    """The index of the worst class whose threshold the days past due reach."""
    found = 0
    for i, cls in enumerate(finance.classes):
        if days_past_due >= cls.from_dpd:
            found = i
    return found


def classify(days_past_due: int, modified_on: date | None, as_of: date, finance: FinanceProfile) -> str:
    """A loan's class on `as_of`: by days past due, and no better than the restructured floor while observed."""
    index = class_by_days(days_past_due, finance)
    if modified_on is not None and (as_of - modified_on).days < finance.restructured_observation_days:
        index = max(index, finance.class_codes().index(finance.restructured_floor))
    return finance.classes[index].code


# -- expected credit loss -------------------------------------------------------------------------

PD_SCALE = 1_000_000  # probabilities in millionths
RATE_SCALE = 100_000_000  # a loan's loss rate (PD x LGD, or a category's rate) in hundred-millionths
LGD_SCALE = 10_000


@dataclass(frozen=True, slots=True)
class GradeRisk:
    """A grade's 12-month probability of default, from the comprehensive score's calibration."""

    grade: str
    pd_12m: Decimal

    @property
    def pd_e6(self) -> int:
        return int((self.pd_12m * PD_SCALE).to_integral_value(ROUND_HALF_UP))


def risk_of(grade: str, grades: Sequence[GradeRisk]) -> GradeRisk:
    """The risk of the grade stored on the loan; a loan with no known grade carries the worst (prudence)."""
    return next((g for g in grades if g.grade == grade), grades[-1])


def lgd_e4(grade: str, finance: FinanceProfile) -> int:
    chosen = next((g.lgd for g in finance.lgd if grade.startswith(g.letter)), finance.lgd[0].lgd)
    return int((chosen * LGD_SCALE).to_integral_value(ROUND_HALF_UP))


def pd_effective_e6(pd_e6: int, class_code: str, remaining_months: int, finance: FinanceProfile) -> int:
    """12-month PD before the lifetime class (IFRS 9 stage 1), lifetime after (and always under CECL);
    1 from the default class. Lifetime PD over the loan's remaining months is the 12-month PD pro rata,
    capped at 1: a documented simplification (docs/finance.md), no term structure yet."""
    codes = finance.class_codes()
    index = codes.index(class_code)
    if index >= codes.index(finance.default_from):
        return PD_SCALE
    months = max(1, remaining_months)
    if finance.measurement is Measurement.IFRS9 and index < codes.index(finance.lifetime_from):
        months = min(months, 12)
    return min(PD_SCALE, pd_e6 * months // 12)


def loss_rate_e8(pd_e6: int, lgd: int, class_code: str, remaining_months: int, finance: FinanceProfile) -> int:
    """A loan's ECL as a share of its exposure, in hundred-millionths (truncated)."""
    if finance.measurement is Measurement.CATEGORY_RATES:
        rate = next(c.rate for c in finance.classes if c.code == class_code)
        return int(rate * RATE_SCALE)
    return pd_effective_e6(pd_e6, class_code, remaining_months, finance) * lgd // 100


def ecl_minor(ead: int, rate_e8: int) -> int:
    """Exposure x loss rate, rounded half up to the minor unit (exposures are never negative)."""
    return (ead * rate_e8 + RATE_SCALE // 2) // RATE_SCALE


@dataclass(frozen=True, slots=True)
class RollForward:
    """A segment's allowance over a month (credit balances as positive amounts)."""

    opening: int
    charge: int  # provision charged (negative: released)
    write_offs: int
    recoveries: int
    closing: int

    @property
    def holds(self) -> bool:
        return self.opening + self.charge - self.write_offs + self.recoveries == self.closing


def roll_forward(opening: int, write_offs: int, recoveries: int, required: int) -> RollForward:
    """The charge that brings the allowance from what it holds to what the month's ECL requires."""
    charge = required - (opening - write_offs + recoveries)
    return RollForward(opening, charge, write_offs, recoveries, required)
