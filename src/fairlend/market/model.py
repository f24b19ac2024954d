"""The marketplace's pure rules: who holds a loan's notes, what an investment may be, what a listing shows.

A loan is owned by one or more notes (DESIGN.md §5) that always sum to its
principal. Investors' notes come from their commitments on a listing; a
funding partner's share and the platform's come from the profile (MK-1,
MK-2); a loan the platform alone funds is the case "the platform is the
only note holder", built by the same functions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from fairlend.errors import Invalid, PolicyViolation
from fairlend.jurisdiction.model import MarketplaceProfile
from fairlend.ledger.model import AccountKey, AccountType, Posting, credit, debit
from fairlend.money import Money, Rounding, allocate
from fairlend.origination.model import ListingFacts

PLATFORM_HOLDER = "platform"  # the note holder id of the platform's own notes
# Far above any listing: an amount past it is a typo or an attack, refused before any arithmetic.
ABSURD_MINOR = 10**15


class HolderKind(enum.StrEnum):
    INVESTOR = "investor"
    PARTNER = "partner"  # a licensed funding partner (MK-1, MK-2)
    PLATFORM = "platform"


class ListingStatus(enum.StrEnum):
    OPEN = "open"
    FUNDED = "funded"
    CANCELLED = "cancelled"


class CommitmentStatus(enum.StrEnum):
    RESERVED = "reserved"
    FUNDED = "funded"
    RELEASED = "released"
    REVOKED = "revoked"  # MK-4: the investor withdrew it inside the reflection period


class MovementKind(enum.StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class MovementStatus(enum.StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class NoteShare:
    holder_id: str
    kind: HolderKind
    principal: Money


# -- amounts ---------------------------------------------------------------------------


def check_amount(amount: Money, currency: str, note_minimum_minor: int) -> None:
    """An investment, deposit or withdrawal amount: positive, whole minor units, sane; Invalid otherwise."""
    if amount.currency != currency:
        raise Invalid("wrong_currency", f"amounts are in {currency}")
    if amount.minor <= 0:
        raise Invalid("amount_not_positive", "the amount must be positive")
    if amount.minor >= ABSURD_MINOR:
        raise Invalid("amount_out_of_range", "the amount is beyond anything the market handles")
    if note_minimum_minor and amount.minor % note_minimum_minor:
        step = Money(note_minimum_minor, currency)
        raise Invalid("not_multiple_of_note", f"invest in multiples of the note size, {step}", note_size=str(step))


def suitability_headroom(net_worth: Money | None, share: Decimal, invested: Money) -> Money | None:
    """MK-5: how much more this investor may put in notes; None when the profile sets no limit."""
    if share <= 0:
        return None
    if net_worth is None:
        return Money.zero(invested.currency)
    limit = net_worth.times(share, Rounding.DOWN)
    return Money(max(0, limit.minor - invested.minor), invested.currency)


# -- who holds a loan ------------------------------------------------------------------------


def co_funding(principal: Money, market: MarketplaceProfile) -> list[NoteShare]:
    """Partners' and the platform's notes of a loan no retail investor funds (MK-1, MK-2).

    Each partner takes its share rounded down; the platform takes the rest, so
    it never holds less than its share, and refuses (MK-2) a profile whose
    partners leave the platform less than its minimum.
    """
    partners = [p for p in market.funding_partners if p.share > 0]
    partner_total = sum((p.share for p in partners), Decimal(0))
    if partner_total > 1 or 1 - partner_total < market.platform_min_share:
        raise PolicyViolation(
            "platform_share_below_minimum",
            f"the platform must fund at least {market.platform_min_share:%} of each loan",
            rules=[market.platform_min_share_rule],
        )
    notes = []
    for partner in partners:
        minor = int(principal.minor * partner.share)  # down: the residue is the platform's
        if minor:
            notes.append(NoteShare(partner.id, HolderKind.PARTNER, Money(minor, principal.currency)))
    rest = principal.minor - sum(n.principal.minor for n in notes)
    if rest:
        notes.append(NoteShare(PLATFORM_HOLDER, HolderKind.PLATFORM, Money(rest, principal.currency)))
    return notes


def investor_notes(commitments: list[tuple[str, int]], currency: str) -> list[NoteShare]:
    """One note per investor: the sum of their commitments on the listing, in investor order."""
    totals: dict[str, int] = {}
    for investor_id, minor in commitments:
        totals[investor_id] = totals.get(investor_id, 0) + minor
    return [NoteShare(i, HolderKind.INVESTOR, Money(m, currency)) for i, m in sorted(totals.items()) if m]


def partial_fee(fee: Money, funded: Money, amount: Money) -> Money:
    """The origination fee of a loan originated for part of what was asked: the same share of it."""
    if funded == amount or not fee.minor:
        return fee
    return allocate(fee, [funded.minor, amount.minor - funded.minor])[0]


class DeadlineOutcome(enum.StrEnum):
    ORIGINATE_FULL = "originate_full"  # the platform takes the unfunded remainder
    ORIGINATE_FUNDED = "originate_funded"  # partial funding, agreed by the borrower
    CANCEL = "cancel"


def at_deadline(funded: Money, amount: Money, partial_ok: bool, market: MarketplaceProfile) -> DeadlineOutcome:
    """What a listing still open at its deadline becomes (issue #13 §4)."""
    if market.platform_takes_remainder:
        return DeadlineOutcome.ORIGINATE_FULL
    if partial_ok and funded.minor > 0 and Decimal(funded.minor) >= market.partial_funding_threshold * amount.minor:
        return DeadlineOutcome.ORIGINATE_FUNDED
    return DeadlineOutcome.CANCEL


def funding_postings(notes: list[NoteShare], fee: Money) -> list[Posting]:
    """How the proceeds are paid, as postings that join lending's disbursement entry.

    Lending debits the loan's principal and credits the fee; these postings
    credit the rest (principal less fee): an investor's note moves their cash
    out of custody to the borrower and records what the platform owes them
    (notes payable); a partner pays its share to the borrower itself (co-lending)
    and is owed it; the platform pays its share less the fee it keeps. With the
    platform as the only holder that is exactly today's entry: cash out, fee in.
    """
    currency = fee.currency
    postings: list[Posting] = []
    custody = 0
    platform = -fee.minor
    for note in notes:
        if note.kind is HolderKind.PLATFORM:
            platform += note.principal.minor
            continue
        owed = AccountKey(AccountType.NOTES_PAYABLE, currency, note.holder_id)
        if note.kind is HolderKind.INVESTOR:
            postings.append(debit(AccountKey(AccountType.INVESTOR_CASH, currency, note.holder_id), note.principal))
            custody += note.principal.minor
        postings.append(credit(owed, note.principal))
    if custody:
        postings.append(credit(AccountKey(AccountType.CUSTODY_CASH, currency), Money(custody, currency)))
    if platform > 0:
        postings.append(credit(AccountKey(AccountType.PLATFORM_CASH, currency), Money(platform, currency)))
    elif platform < 0:
        postings.append(debit(AccountKey(AccountType.PLATFORM_CASH, currency), Money(-platform, currency)))
    return postings


# -- what investors see -------------------------------------------------------------------------

_INCOME_EDGES = (3_000, 5_000, 10_000, 20_000)  # monthly, in major units
_DTI_EDGES = (Decimal("0.20"), Decimal("0.35"), Decimal("0.50"))
_HISTORY_EDGES = (12, 36, 60, 120)  # months


def income_band(monthly_minor: int | None, currency: str) -> str:
    if monthly_minor is None:
        return "unverified"
    major = Money(monthly_minor, currency).to_decimal()
    low = 0
    for edge in _INCOME_EDGES:
        if major < edge:
            return f"{low}-{edge}"
        low = edge
    return f"{low}+"


def dti_band(debt_minor: int, monthly_minor: int | None) -> str:
    if not monthly_minor:
        return "unknown"
    ratio = Decimal(debt_minor) / (Decimal(monthly_minor) * 12)
    low = "0%"
    for edge in _DTI_EDGES:
        if ratio < edge:
            return f"{low}-{edge:.0%}"
        low = f"{edge:.0%}"
    return f"{low}+"


def history_band(months: int | None) -> str:
    if months is None:
        return "none"
    low = 0
    for edge in _HISTORY_EDGES:
        if months < edge:
            return f"{low}-{edge}m"
        low = edge
    return f"{low}m+"


def borrower_profile(facts: ListingFacts, currency: str) -> dict[str, object]:
    """The borrower as investors see them: bands and flags only (MK-6), nothing that names them."""
    return {
        "income_band": income_band(facts.verified_monthly_income_minor, currency),
        "dti_band": dti_band(facts.total_debt_minor, facts.verified_monthly_income_minor),
        "credit_history": history_band(facts.credit_history_months),
        "identity_verified": facts.identity_verified,
        "bank_card_verified": facts.bank_card_verified,
        "income_verified": facts.income_verified,
        "inquiries_6_months": facts.inquiries_6_months,
    }


@dataclass(frozen=True, slots=True)
class ListingFilter:
    grades: tuple[str, ...] = ()
    terms: tuple[int, ...] = ()
    min_rate: Decimal | None = None
    max_rate: Decimal | None = None
    purposes: tuple[str, ...] = ()
    min_funded_share: Decimal | None = None  # 0..1
    max_funded_share: Decimal | None = None
    status: str = ListingStatus.OPEN.value


def deadline_of(listed_on: date, market: MarketplaceProfile) -> date:
    return listed_on + timedelta(days=market.listing_days)


# -- views ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvestorView:
    investor_id: str
    agreement_version: str
    net_worth: Money | None


@dataclass(frozen=True, slots=True)
class WalletView:
    investor_id: str
    cash: Money  # uninvested money held for the investor
    committed: Money  # reserved for listings not yet funded

    @property
    def available(self) -> Money:
        return self.cash - self.committed


@dataclass(frozen=True, slots=True)
class MovementView:
    id: str
    investor_id: str
    kind: MovementKind
    status: MovementStatus
    amount: Money
    rail_reference: str


@dataclass(frozen=True, slots=True)
class ListingView:
    """A listing as investors see it: terms, progress and an anonymous borrower profile (MK-6)."""

    id: str
    status: ListingStatus
    amount: Money
    funded: Money
    term_months: int
    grade: str
    nominal_rate: Decimal
    apr: Decimal
    purpose: str
    borrower: dict[str, object]
    deadline: date
    loan_id: str | None

    @property
    def funded_share(self) -> Decimal:
        return (Decimal(self.funded.minor) / Decimal(self.amount.minor)).quantize(Decimal("0.0001"))

    @property
    def remaining(self) -> Money:
        return self.amount - self.funded


@dataclass(frozen=True, slots=True)
class CommitmentView:
    id: str
    investor_id: str
    listing_id: str
    status: CommitmentStatus
    amount: Money
    loan_id: str | None  # set when this investment completed the listing and the loan was booked


@dataclass(frozen=True, slots=True)
class NoteView:
    id: str
    holder_id: str
    holder_kind: HolderKind
    loan_id: str
    listing_id: str
    principal: Money
    outstanding: Money


@dataclass(frozen=True, slots=True)
class DeadlineReport:
    originated: tuple[str, ...] = ()  # listing ids originated for their full amount
    partial: tuple[str, ...] = ()  # originated for what investors funded
    cancelled: tuple[str, ...] = ()
