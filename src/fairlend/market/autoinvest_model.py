"""Auto-invest's pure rules: what a rule may say, which listings it matches, how much it may put in, whose turn it is.

A rule (grades, terms, a rate range, an amount per note, at most a share of
the portfolio in one borrower, a cash reserve) invests for its investor when
a listing opens. Investors are served in a rotation (docs/market.md,
"Auto-invest"): each investor whose rule matches takes one turn of their
rule's amount per round, least recently served first (then by investor id),
round after round until the listing is full or nobody can invest more. Who
was served when is a persisted turn number, so the next listing starts where
the last one left off and no investor is always first. Everything here is a
function of its arguments: the same rules, cash and turn numbers give the
same allocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from fairlend.errors import Invalid
from fairlend.market.model import ABSURD_MINOR, check_amount
from fairlend.money import Money
from fairlend.origination.model import GRADES

GRADE_LETTERS = tuple(dict.fromkeys(g[0] for g in GRADES))  # A … G: a letter matches its five sub-grades
MAX_RULES_PER_INVESTOR = 10
MAX_TERM_MONTHS = 360
MAX_TERMS = 24
MAX_RATE = Decimal(10)  # 1000 %: the listing table's own bound


@dataclass(frozen=True, slots=True)
class RuleTerms:
    """What an investor asks a rule to do: the part of a rule they write."""

    grades: tuple[str, ...]  # letters (A: A1 … A5) or sub-grades (B3)
    terms: tuple[int, ...]  # months
    min_rate: Decimal  # nominal yearly rate, 0.10 = 10 %
    max_rate: Decimal
    amount: Money  # invested per turn: a multiple of the note size
    borrower_share: Decimal  # at most this share of the portfolio (cash + notes) in one borrower, 0 < s <= 1
    reserve: Money  # cash auto-invest never touches
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    investor_id: str
    terms: RuleTerms
    created_at: datetime
    updated_at: datetime


def checked(terms: RuleTerms, currency: str, note_minimum_minor: int) -> RuleTerms:
    """The rule normalised (grades upper-case, grades and terms sorted, each once), or Invalid with a stable code."""
    grades = tuple(sorted({g.strip().upper() for g in terms.grades}))
    if not grades or any(g not in GRADES and g not in GRADE_LETTERS for g in grades):
        raise Invalid(
            "autoinvest_grades_invalid",
            f"name at least one grade: a letter {GRADE_LETTERS[0]}–{GRADE_LETTERS[-1]} or a sub-grade such as B3",
        )
    months = tuple(sorted(set(terms.terms)))
    if not months or len(months) > MAX_TERMS or any(not 1 <= m <= MAX_TERM_MONTHS for m in months):
        raise Invalid("autoinvest_terms_invalid", f"name 1 to {MAX_TERMS} terms, each 1 to {MAX_TERM_MONTHS} months")
    low, high = terms.min_rate, terms.max_rate
    if not (low.is_finite() and high.is_finite()) or not Decimal(0) <= low <= high <= MAX_RATE:
        raise Invalid("autoinvest_rate_range_invalid", "the rate range runs from a lower to a higher rate, 0 to 10")
    check_amount(terms.amount, currency, note_minimum_minor)
    share = terms.borrower_share
    if not share.is_finite() or not Decimal(0) < share <= Decimal(1):
        raise Invalid("autoinvest_borrower_share_invalid", "the share in one borrower is more than 0 and at most 1")
    reserve = terms.reserve
    if reserve.currency != currency or reserve.minor < 0 or reserve.minor >= ABSURD_MINOR:
        raise Invalid("autoinvest_reserve_invalid", f"the cash reserve is zero or more, in {currency}")
    return replace(terms, grades=grades, terms=months)


def matches(terms: RuleTerms, grade: str, term_months: int, rate: Decimal, currency: str) -> bool:
    """An enabled rule takes a listing of its grades, terms, rate range and currency."""
    return (
        terms.enabled
        and terms.amount.currency == currency
        and (grade in terms.grades or grade[:1] in terms.grades)
        and term_months in terms.terms
        and terms.min_rate <= rate <= terms.max_rate
    )


def first_match(rules: Sequence[Rule], grade: str, term_months: int, rate: Decimal, currency: str) -> dict[str, Rule]:
    """Each investor's rule for a listing: their first matching rule, by rule id (the oldest)."""
    chosen: dict[str, Rule] = {}
    for rule in sorted(rules, key=lambda r: (r.investor_id, r.id)):
        if rule.investor_id not in chosen and matches(rule.terms, grade, term_months, rate, currency):
            chosen[rule.investor_id] = rule
    return chosen


# -- how much an investor may put into one listing -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Standing:
    """An investor's money as a pass reads it under their wallet's lock (minor units)."""

    cash: int  # uninvested money, committed included
    committed: int  # reserved for open listings
    outstanding: int  # principal outstanding in all their notes
    in_borrower: int  # their notes' outstanding and open commitments with this listing's borrower
    suitability: int | None  # MK-5 headroom; None when the profile sets no limit


def borrower_cap(share: Decimal, cash: int, outstanding: int) -> int:
    """The most one borrower may hold of a portfolio (cash and notes), in whole minor units, rounded down."""
    return int((share * (cash + outstanding)).to_integral_value(rounding=ROUND_FLOOR))


def headroom(terms: RuleTerms, standing: Standing) -> int:
    """The most this rule may put into a listing now: above the reserve, within the borrower share and MK-5."""
    limits = [
        standing.cash - standing.committed - terms.reserve.minor,
        borrower_cap(terms.borrower_share, standing.cash, standing.outstanding) - standing.in_borrower,
    ]
    if standing.suitability is not None:
        limits.append(standing.suitability)
    return max(0, min(limits))


# -- the rotation ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Seat:
    """One investor's place at one listing: their rule, what it may invest, when they were last served."""

    investor_id: str
    rule_id: str
    amount: int  # the rule's amount per turn
    headroom: int
    last_turn: int  # 0: never served


@dataclass(frozen=True, slots=True)
class Turn:
    number: int  # the rotation's running count, persisted as each investor's last turn
    investor_id: str
    rule_id: str
    amount: int


def rotation(seats: Sequence[Seat], remaining: int, note_minimum: int, next_turn: int) -> list[Turn]:
    """The turns that fill (or go as far as they can towards filling) a listing that still needs `remaining`.

    Seats are served least recently served first (`last_turn`, then investor id), one
    turn each per round, round after round. A turn invests the rule's amount, or what
    the listing still needs if that is less (in whole notes): never more than the rule
    says. A seat that cannot take its turn (not enough headroom) is passed over and
    keeps its place, so it is first in line when it can invest again; the rounds stop
    when the listing is full or a whole round serves nobody. Turn numbers run on from
    `next_turn`.
    """
    step = max(1, note_minimum)
    queue = sorted(seats, key=lambda s: (s.last_turn, s.investor_id))
    left = {s.investor_id: s.headroom for s in seats}
    turns: list[Turn] = []
    number = next_turn
    while remaining >= step:
        passed: list[Seat] = []
        served: list[Seat] = []
        for seat in queue:
            take = seat.amount if seat.amount <= remaining else remaining - remaining % step
            if 0 < take <= left[seat.investor_id]:
                turns.append(Turn(number, seat.investor_id, seat.rule_id, take))
                left[seat.investor_id] -= take
                remaining -= take
                number += 1
                served.append(seat)
            else:
                passed.append(seat)
        if not served:
            break
        # Passed-over seats were served longer ago than anyone served this round: they go first next round.
        queue = [s for s in passed + served if left[s.investor_id] >= step]
    return turns


@dataclass(frozen=True, slots=True)
class Allocation:
    """What one investor put into a listing in one pass: the sum of their turns."""

    investor_id: str
    rule_id: str
    amount: int
    turns: int
    first_turn: int
    last_turn: int


def allocations(turns: Sequence[Turn]) -> list[Allocation]:
    """Turns summed per investor, in investor order (the order their wallets are locked and reserved)."""
    by_investor: dict[str, list[Turn]] = {}
    for turn in turns:
        by_investor.setdefault(turn.investor_id, []).append(turn)
    return [
        Allocation(
            investor_id,
            mine[0].rule_id,
            sum(t.amount for t in mine),
            len(mine),
            mine[0].number,
            mine[-1].number,
        )
        for investor_id, mine in sorted(by_investor.items())
    ]


@dataclass(frozen=True, slots=True)
class PassReport:
    """One listing's auto-invest pass."""

    listing_id: str
    turns: tuple[Turn, ...] = ()
    loan_id: str | None = None  # set when auto-invest completed the listing and the loan was booked
    refused: str = ""  # a DomainError code when the pass was refused and nothing was written

    @property
    def invested(self) -> int:
        return sum(t.amount for t in self.turns)


@dataclass(frozen=True, slots=True)
class SweepReport:
    """Auto-invest over every open listing (the operator's command, the after-day step)."""

    passes: tuple[PassReport, ...] = ()

    @property
    def turns(self) -> int:
        return sum(len(p.turns) for p in self.passes)

    @property
    def funded(self) -> int:
        return sum(1 for p in self.passes if p.loan_id)


@dataclass(frozen=True, slots=True)
class AutoInvestmentView:
    """What auto-invest did for an investor at one listing (one pass)."""

    id: str  # the commitment's id
    listing_id: str
    rule_id: str
    amount: Money
    turns: int
    created_at: datetime
