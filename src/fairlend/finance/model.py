"""Finance's pure rules: periods, funding sources and the statements as data.

Statements are built from account activity (an opening balance and the
period's debits and credits per account, all sums of postings), so every
figure is a sum of journal lines and names the accounts that drill down to
them. Amounts are minor units on the account's normal side (assets and
expenses debit-positive; liabilities, equity and income credit-positive);
the allowance, a contra-asset, reads negative among the assets.

Classification and expected credit loss are in credit_loss.py.
"""

from __future__ import annotations

import enum
import re
from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from fairlend.errors import Invalid
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
