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

# A secondary-market trade's statement line, by the investor's side of it (one journal entry, two sides).
PURCHASE_KIND, SALE_KIND = "market_note_purchase", "market_note_sale"
NOTE_STATUSES = ("current", "late_1_30", "late_31_plus", "repaid", "charged_off", "sold")


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
    bought: Money  # paid for notes bought on the secondary market
    sold: Money  # received for notes sold there
    written_down: Money  # principal hardship plans wrote off loans still on the books


@dataclass(frozen=True, slots=True)
class GradeReturn:
    grade: str
    notes: int
    invested: Money
    outstanding: Money
    interest: Money  # net of fees, recoveries included
    charged_off: Money
    nar: Decimal | None
    written_down: Money  # by hardship plans


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
    invested: Money  # principal put into notes at funding, ever
    bought: Money  # paid for notes bought on the secondary market (principal, accrued interest, premium)
    sold: Money  # received for notes sold there
    principal_received: Money
    interest_received: Money  # gross: before the servicing fee
    fees_paid: Money
    recoveries_received: Money
    charged_off: Money
    # Principal hardship plans wrote off loans still on the books (a discounted settlement's): a loss like a
    # charge-off, in NAR in the month it was written off, but not a charge-off: the loan is still being paid.
    written_down: Money
    net_received: Money  # what distributions put into the wallet
    nar: Decimal | None
    notes_by_status: dict[str, tuple[int, Money]]
    months: list[MonthFlows]
    grades: list[GradeReturn]
    notes: list[NoteLine]


@dataclass(frozen=True, slots=True)
class StatementLine:
    business_date: date
    kind: str  # the ledger entry's kind; a trade's as this investor's side (PURCHASE_KIND, SALE_KIND)
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


def note_status(outstanding: int, charged_off: int, state: tuple[LoanState, int] | None, *, sold: bool = False) -> str:
    if charged_off:
        return "charged_off"
    if outstanding == 0 and sold:
        return "sold"
    if outstanding == 0 or state is None:
        return "repaid"
    dpd = state[1]
    if dpd > 30:
        return "late_31_plus"
    return "late_1_30" if dpd > 0 else "current"


@dataclass(frozen=True, slots=True)
class TradeLeg:
    """One side of a secondary-market trade, as the holder of one note saw it."""

    day: date
    principal: int  # outstanding principal that moved
    charged_off: int  # principal written down that moved (a charged-off note's claim)
    price: int

    @property
    def part(self) -> int:
        return self.principal + self.charged_off


def note_flows(
    issued: date,
    principal_now: int,
    charged_off_now: int,
    acquired: TradeLeg | None,
    sales: Iterable[TradeLeg],
    shares: Iterable[tuple[date, int, int]],
    written_down: date | None,
) -> list[Flow]:
    """One note's NAR flows while this investor held it.

    Funded at `issued` (or bought: `acquired`, whose price beyond the
    principal is a cost); each distribution (day, principal, net) repays
    principal and earns the rest; each sale takes principal out and earns the
    price beyond it; a write-down (while held) loses its principal. The
    principal the note started with is what it has now plus every part sold.
    """
    sold = list(sales)
    flows: list[Flow] = []
    if acquired is not None:
        flows.append(Flow(acquired.day, principal=acquired.principal, x=acquired.principal - acquired.price))
    else:
        flows.append(Flow(issued, principal=principal_now + sum(s.part for s in sold)))
    flows += [Flow(day, principal=-principal, x=net - principal) for day, principal, net in shares]
    flows += [Flow(s.day, principal=-s.principal, x=s.price - s.principal) for s in sold]
    lost = charged_off_now + sum(s.charged_off for s in sold) - (acquired.charged_off if acquired else 0)
    if lost > 0 and written_down is not None:
        flows.append(Flow(written_down, principal=-lost, x=-lost))
    return flows
