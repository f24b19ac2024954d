"""What an investor's returns are made of, as pure values: flows, NAR, the portfolio and statement views.

NAR (net annualised return) is LendingClub's: for every month a note was
outstanding, x = interest received less servicing fees, plus recoveries, less
principal charged off in that month; p = the principal outstanding at the start
of the month (a note issued during a month counts from the next one).
NAR = (1 + Σx / Σp)^12 − 1. docs/market.md works an example.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fairlend.lending.model import LoanState
from fairlend.money import Money

NOTE_STATUSES = ("current", "late_1_30", "late_31_plus", "repaid", "charged_off")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass(frozen=True, slots=True)
class Flow:
    """A change to the principal outstanding (`principal`) and to the return (`x`) on a day, in minor units."""

    day: date
    principal: int = 0
    x: int = 0


def nar(flows: Iterable[Flow], through: date) -> Decimal | None:
    """LendingClub's NAR from flows: (1 + Σx/Σp)^12 − 1, p the principal outstanding at each month's start.

    None when no principal was outstanding at the start of any month (nothing to annualise yet).
    """
    by_month: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f in flows:
        by_month[month_of(f.day)][0] += f.principal
        by_month[month_of(f.day)][1] += f.x
    if not by_month:
        return None
    outstanding = sum_p = sum_x = 0
    for month in months_between(min(by_month), month_of(through)):
        dp, dx = by_month.get(month, (0, 0))
        sum_p += outstanding  # what was outstanding when the month began
        sum_x += dx
        outstanding += dp
    if sum_p <= 0:
        return None
    monthly = Decimal(sum_x) / Decimal(sum_p)
    return ((1 + monthly) ** 12 - 1).quantize(Decimal("0.0001"))


@dataclass(frozen=True, slots=True)
class MonthFlows:
    month: str
    deposits: Money
    withdrawals: Money
    invested: Money
    principal: Money
    interest: Money  # net of the servicing fee, recoveries included
    charged_off: Money


@dataclass(frozen=True, slots=True)
class GradeReturn:
    grade: str
    notes: int
    invested: Money
    outstanding: Money
    interest: Money  # net of fees, recoveries included
    charged_off: Money
    nar: Decimal | None


@dataclass(frozen=True, slots=True)
class NoteLine:
    note_id: str
    loan_id: str
    grade: str
    term_months: int
    nominal_rate: Decimal
    principal: Money
    outstanding: Money
    received: Money  # net of fees
    status: str


@dataclass(frozen=True, slots=True)
class PortfolioView:
    investor_id: str
    currency: str
    as_of: date
    cash: Money
    committed: Money
    available: Money
    outstanding: Money
    invested: Money  # principal put into notes, ever
    principal_received: Money
    interest_received: Money  # gross: before the servicing fee
    fees_paid: Money
    recoveries_received: Money
    charged_off: Money
    net_received: Money  # what distributions put into the wallet
    nar: Decimal | None
    notes_by_status: dict[str, tuple[int, Money]]
    months: list[MonthFlows]
    grades: list[GradeReturn]
    notes: list[NoteLine]


@dataclass(frozen=True, slots=True)
class StatementLine:
    business_date: date
    kind: str  # the ledger entry's kind
    reference: str
    amount: Money  # into the investor's cash: positive in, negative out
    balance: Money  # after this line
    principal: Money | None = None  # a distribution's parts
    interest: Money | None = None
    fee: Money | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    investor_id: str
    start: date
    end: date
    opening: Money
    lines: list[StatementLine]
    closing: Money
    notes_opening: Money  # principal outstanding in notes
    notes_closing: Money
    totals: dict[str, Money] = field(default_factory=dict)  # per entry kind


def note_status(outstanding: int, charged_off: int, state: tuple[LoanState, int] | None) -> str:
    if charged_off:
        return "charged_off"
    if outstanding == 0 or state is None:
        return "repaid"
    dpd = state[1]
    if dpd > 30:
        return "late_31_plus"
    return "late_1_30" if dpd > 0 else "current"
