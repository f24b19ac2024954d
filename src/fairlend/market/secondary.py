"""The secondary market's rules, as pure values: what a note may be sold for, what it shows, what it yields.

A holder offers a note, or part of it, at a premium (or, negative, a
discount) in basis points to the part's principal plus the interest the loan
has accrued on it since its last due date. Buyers see the note's standing
(more than 30 days overdue, charged off, in a hardship plan: disclosed, and
acknowledged before buying) and the yield to maturity at the asked price. A
sale splits the note: the buyer gets a new note of the part, the seller keeps
the rest with its history, so a loan's notes still sum to its principal and
each note still equals its outstanding, plus what it was repaid, plus what
was written down. docs/market.md "The secondary market" has the worked rules.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from fairlend.errors import Conflict, Invalid
from fairlend.lending.model import LoanState
from fairlend.money import Money, Rounding, to_minor

BPS = 10_000
# A discount of 99 %: a charged-off note's claim on recoveries may be worth that little, but never nothing.
MIN_PREMIUM_BPS = -9_900
# A premium of 20 %: past it an asking price is a typo, not an offer (no fee is charged on trades).
MAX_PREMIUM_BPS = 2_000
DISCLOSED_AFTER_DAYS = 30  # more overdue than this and the note is sold only with its standing shown
YTM_PLACES = Decimal("0.0001")
_DAYS_IN_YEAR = 365  # the yield's time basis: actual days over 365, whatever the loan's day count


class OrderStatus(enum.StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"


class SaleStatus(enum.StrEnum):
    """A note's standing as buyers see it; the values the portfolio's note statuses share."""

    CURRENT = "current"
    LATE_1_30 = "late_1_30"
    LATE_31_PLUS = "late_31_plus"
    HARDSHIP = "hardship"
    CHARGED_OFF = "charged_off"
    CLOSED = "closed"  # the loan is settled: nothing is left to sell

    @property
    def disclosed(self) -> bool:
        """Sold only with this standing shown, and bought only with it acknowledged."""
        return self in (SaleStatus.LATE_31_PLUS, SaleStatus.HARDSHIP, SaleStatus.CHARGED_OFF)


@dataclass(frozen=True, slots=True)
class LoanStanding:
    """What the market reads of a loan to price its notes (market/ports.py `NoteLoans`)."""

    loan_id: str
    state: LoanState
    days_past_due: int
    in_hardship: bool
    rate: Decimal  # the nominal yearly rate
    periods_per_year: int
    accrued_interest: int  # minor units accrued since the last due date (lending's accrual)
    open_date: date
    due_dates: tuple[date, ...]  # every installment's
    remaining: tuple[tuple[date, int], ...]  # each unpaid installment: due date, principal and interest owed

    def last_due(self, today: date) -> date:
        return max((d for d in self.due_dates if d <= today), default=self.open_date)


def sale_status(standing: LoanStanding, charged_off_minor: int) -> SaleStatus:
    if charged_off_minor > 0 or standing.state in (LoanState.CHARGED_OFF, LoanState.WRITTEN_OFF):
        return SaleStatus.CHARGED_OFF
    if standing.state is LoanState.SETTLED:
        return SaleStatus.CLOSED
    if standing.in_hardship:
        return SaleStatus.HARDSHIP
    if standing.days_past_due > DISCLOSED_AFTER_DAYS:
        return SaleStatus.LATE_31_PLUS
    return SaleStatus.LATE_1_30 if standing.days_past_due > 0 else SaleStatus.CURRENT


# -- what changes hands --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteAmounts:
    principal: int  # this holder's: outstanding + repaid to them + written down
    outstanding: int
    charged_off: int

    @property
    def claim(self) -> int:
        """What may be sold: the principal outstanding, or after a charge-off the principal written down."""
        return self.outstanding + self.charged_off


@dataclass(frozen=True, slots=True)
class Transfer:
    seller: NoteAmounts  # what the seller's note keeps (its history stays with it)
    buyer: NoteAmounts  # the buyer's new note


def transfer(note: NoteAmounts, part: int) -> Transfer:
    """Split `part` of a note's claim off to a new note; nothing is made or lost.

    The part comes out of the outstanding principal first (a live note has
    nothing written down; a charged-off one has nothing outstanding).
    """
    if part <= 0:
        raise Invalid("amount_not_positive", "the part sold must be positive")
    if part > note.claim:
        raise over_note_outstanding(note.claim)
    out = min(part, note.outstanding)
    off = part - out
    return Transfer(
        NoteAmounts(note.principal - part, note.outstanding - out, note.charged_off - off),
        NoteAmounts(part, out, off),
    )


def over_note_outstanding(claim: int) -> Conflict:
    return Conflict("over_note_outstanding", f"the note has only {claim} minor units left to sell", left_minor=claim)


# -- the price -----------------------------------------------------------------------------------------


def check_premium(premium_bps: int) -> None:
    if not MIN_PREMIUM_BPS <= premium_bps <= MAX_PREMIUM_BPS:
        raise Invalid(
            "price_out_of_range",
            f"ask between a discount of {-MIN_PREMIUM_BPS / 100:g} % and a premium of {MAX_PREMIUM_BPS / 100:g} % "
            f"(in basis points: {MIN_PREMIUM_BPS} to {MAX_PREMIUM_BPS})",
            min_bps=MIN_PREMIUM_BPS,
            max_bps=MAX_PREMIUM_BPS,
        )


def accrued_part(loan_accrued: int, part_outstanding: int, notes_outstanding: int) -> int:
    """The part's pro-rata share of what the loan accrued since its last due date, rounded down."""
    if loan_accrued <= 0 or part_outstanding <= 0 or notes_outstanding <= 0:
        return 0
    return loan_accrued * part_outstanding // notes_outstanding


def price_of(base: int, premium_bps: int, currency: str) -> Money:
    """`base` (principal plus accrued interest) with the premium or discount, rounded half up to the fen."""
    return Money(
        to_minor(Money(base, currency).to_decimal() * (BPS + premium_bps) / BPS, currency, Rounding.HALF_UP), currency
    )


@dataclass(frozen=True, slots=True)
class Quote:
    """What an order asks today: the part, its accrued interest, the price, and what it yields."""

    status: SaleStatus
    principal: Money  # the part: outstanding principal, or the principal written down of a charged-off note
    accrued: Money
    price: Money
    premium_bps: int
    ytm: Decimal | None  # None when there is nothing scheduled to yield (charged off, closed)


def quote(
    note: NoteAmounts,
    part: int,
    standing: LoanStanding,
    notes_outstanding: int,
    premium_bps: int,
    fee_rate: Decimal,
    today: date,
    currency: str,
) -> Quote:
    """The price and yield of `part` of `note` today; `notes_outstanding` is the loan's notes' total."""
    status = sale_status(standing, note.charged_off)
    moved = transfer(note, part).buyer
    accrued = (
        0
        if status is SaleStatus.CHARGED_OFF
        else accrued_part(standing.accrued_interest, moved.outstanding, notes_outstanding)
    )
    price = price_of(part + accrued, premium_bps, currency)
    ytm = None
    if moved.outstanding and notes_outstanding and status not in (SaleStatus.CHARGED_OFF, SaleStatus.CLOSED):
        share = Decimal(moved.outstanding) / notes_outstanding * (1 - fee_rate)
        flows = [(due, Decimal(owed) * share) for due, owed in standing.remaining]
        ytm = yield_to_maturity(price.minor, flows, today, standing.periods_per_year)
    return Quote(status, Money(part, currency), Money(accrued, currency), price, premium_bps, ytm)


# -- the yield ---------------------------------------------------------------------------------------


def yield_to_maturity(
    price: int, flows: Sequence[tuple[date, Decimal]], settle: date, periods_per_year: int
) -> Decimal | None:
    """The nominal yearly rate y, compounded `periods_per_year` times a year, at which `flows` are worth `price`.

    Each flow is discounted over its actual days from `settle` (a past-due
    installment as if paid at settlement): Σ cf · (1 + y/m)^(−m·days/365) =
    price. That is the loan's own convention (a nominal rate of m periods a
    year), so a note bought at par on a due date yields the loan's rate less
    what the servicing fee takes. None when nothing is scheduled, the price is
    not positive, or every flow is already due (no time to earn over).
    """
    m = periods_per_year
    if price <= 0 or m <= 0 or not flows:
        return None
    days = [max(0, (due - settle).days) for due, _ in flows]
    if not any(days):
        return None
    with localcontext() as ctx:
        ctx.prec = 34
        amounts = [Decimal(cf) for _, cf in flows]
        target = Decimal(price)

        def npv(y: Decimal) -> Decimal:
            daily = (1 + y / m) ** (Decimal(-m) / _DAYS_IN_YEAR)
            return sum((cf * daily**d for cf, d in zip(amounts, days, strict=True)), Decimal(0)) - target

        # npv falls as y rises. Bracket the root (a negative yield only when the flows sum to less
        # than the price), then close in: a regula falsi step (Illinois), which usually lands within a
        # few steps, alternating with a bisection step, which always halves the bracket.
        low, high = Decimal(0), Decimal(1)
        f_low = npv(low)
        if f_low >= 0:
            f_high = npv(high)
            while f_high > 0:
                low, f_low, high = high, f_high, high * 2
                if high > 1_000:
                    return None
                f_high = npv(high)
        else:
            high, f_high, low = low, f_low, Decimal(-m) / 2
            f_low = npv(low)
            while f_low < 0:
                high, f_high, low = low, f_low, (low - m) / 2
                if low + m < Decimal("1e-6"):
                    return None  # worth less than the price at any yield
                f_low = npv(low)
        best, best_f = (low, f_low) if abs(f_low) < abs(f_high) else (high, f_high)
        for step in range(200):
            bisect = step % 2 == 1
            mid = (low + high) / 2 if bisect else high - f_high * (high - low) / (f_high - f_low)
            f_mid = npv(mid)
            if abs(f_mid) < abs(best_f):
                best, best_f = mid, f_mid
            # Illinois: after a false-position step, the end that stayed weighs half, so it moves next time.
            if f_mid > 0:
                low, f_low = mid, f_mid
                f_high = f_high if bisect else f_high / 2
            else:
                high, f_high = mid, f_mid
                f_low = f_low if bisect else f_low / 2
            if high - low < Decimal("1e-12") or abs(f_mid) < target * Decimal("1e-24"):
                break
        return best.quantize(YTM_PLACES) + 0  # the point nearest the root (never a bracket's middle)


# -- views ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderView:
    id: str
    seller_id: str
    note_id: str
    loan_id: str
    listing_id: str
    status: OrderStatus
    amount: Money | None  # None: the whole note, whatever is outstanding when it is bought
    premium_bps: int
    status_at_listing: SaleStatus
    listed_on: date
    grade: str
    term_months: int
    nominal_rate: Decimal
    quote: Quote | None  # today's, while the order is open
    trade_id: str | None = None


@dataclass(frozen=True, slots=True)
class TradeView:
    id: str
    order_id: str
    loan_id: str
    seller_id: str
    buyer_id: str
    note_id: str  # the seller's note, which keeps its history
    buyer_note_id: str
    principal: Money  # outstanding principal that changed hands
    charged_off: Money  # principal written down that changed hands (a charged-off note's claim)
    accrued: Money
    premium_bps: int
    price: Money
    status: SaleStatus
    business_date: date


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One distribution to the note: its part of a batch of repayments (or a recovery)."""

    business_date: date
    kind: str  # repayment | recovery
    principal: Money
    interest: Money  # what it got beyond principal, before the fee
    fee: Money
    net: Money
