"""Sharing money among a loan's notes: largest remainder, deterministic, no fen made or lost (pure).

Every amount a loan pays its holders is split in proportion to the notes'
weights: their outstanding principal while the loan is active, the principal
written down at charge-off for recoveries after it. Each note first gets the
floor of its exact share; the units left over go one each to the notes with
the largest remainders, ties to the smaller note id. The SQL in
`distribution.py` computes exactly the same shares with window functions; a
test holds them equal.

The servicing fee (profile: `servicing_fee_rate`, taken only on payments
received within `servicing_fee_within_days` of their due date) is rounded
down, in the holders' favour, and shared the same way, so each note's fee is
its part of what it received. A note's net share (what reaches its holder)
is split directly, so it is within one minor unit of its exact part of the
payment less the fee; its principal share is split on its own, so a payoff
brings every note to exactly zero and no note is ever repaid past its
outstanding principal. Interest is what a note received less its principal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from fairlend.errors import Invalid


@dataclass(frozen=True, slots=True)
class Weighted:
    note_id: str
    weight: int  # minor units: outstanding principal, or the principal written down


@dataclass(frozen=True, slots=True)
class NoteReceipt:
    note_id: str
    principal: int  # repaid principal: lowers the note's outstanding
    fee: int  # the servicing fee taken from what the note received
    net: int  # what reaches the holder

    @property
    def gross(self) -> int:
        return self.net + self.fee

    @property
    def interest(self) -> int:
        """What the note received beyond principal (interest, or a recovery)."""
        return self.gross - self.principal


def split(amount: int, notes: Sequence[Weighted]) -> list[int]:
    """`amount` shared in proportion to the weights, by largest remainder; ties to the smaller note id.

    The shares sum to `amount` and each is within one minor unit of exact. A
    negative amount or weight, or weights summing to zero with money to share,
    is refused: money would be made or lost.
    """
    weights = [n.weight for n in notes]
    _refuse_negative(weights, amount)
    return _split(amount, weights, _tie_breaks(notes))


def _tie_breaks(notes: Sequence[Weighted]) -> list[int]:
    """Per note, n-1 less its place in note-id order: among equal remainders the smaller id ranks higher."""
    ids = [n.note_id for n in notes]
    last = len(ids) - 1
    ties = [0] * len(ids)
    for rank, index in enumerate(sorted(range(len(ids)), key=ids.__getitem__)):
        ties[index] = last - rank
    return ties


def _refuse_negative(weights: list[int], amount: int = 0) -> None:
    """Checked once per receipt, not once per split: `_split` trusts its callers."""
    if amount < 0 or min(weights, default=0) < 0:
        raise Invalid("share_negative", "amounts and weights to share are never negative")


def _split(amount: int, weights: list[int], ties: list[int]) -> list[int]:
    total = sum(weights)
    if total == 0:
        if amount:
            raise Invalid("share_no_weight", "there is money to share but no note has any weight")
        return [0] * len(weights)
    products = [amount * w for w in weights]
    shares = [p // total for p in products]
    left = amount - sum(shares)
    if left:
        # One int per note orders by remainder, then by note id: sorting on it runs in C, which matters
        # at 10,000 notes (a full sort beats a heap of `left` when `left` is a good part of the notes).
        n = len(weights)
        keys = [(p % total) * n + t for p, t in zip(products, ties, strict=True)]
        for index in sorted(range(n), key=keys.__getitem__, reverse=True)[:left]:
            shares[index] += 1
    return shares


def servicing_fee(amount: int, rate: Decimal, received_days_past_due: int, within_days: int) -> int:
    """The platform's fee on `amount` received: rounded down, and none on a payment received late.

    `within_days` below zero means the fee is taken however late the payment is.
    """
    if rate <= 0 or amount <= 0:
        return 0
    if within_days >= 0 and received_days_past_due > within_days:
        return 0
    return int((Decimal(amount) * rate).to_integral_value(ROUND_DOWN))


def share_receipt(amount: int, principal: int, fee: int, notes: Sequence[Weighted]) -> list[NoteReceipt]:
    """What each note gets of `amount` received, `principal` of it repaying principal, less `fee`."""
    principals, fees, nets = share_columns(amount, principal, fee, notes)
    return [NoteReceipt(n.note_id, p, f, x) for n, p, f, x in zip(notes, principals, fees, nets, strict=True)]


def share_columns(
    amount: int, principal: int, fee: int, notes: Sequence[Weighted]
) -> tuple[list[int], list[int], list[int]]:
    """`share_receipt` as three columns (principal, fee, net per note), without an object per note."""
    if not 0 <= fee <= amount or not 0 <= principal <= amount:
        raise Invalid("share_inconsistent", "the fee and the principal are parts of the amount received")
    weights = [n.weight for n in notes]
    _refuse_negative(weights)
    if principal > sum(weights):
        raise Invalid("share_principal_exceeds", "more principal than the notes have outstanding")
    ties = _tie_breaks(notes)
    return _split(principal, weights, ties), _split(fee, weights, ties), _split(amount - fee, weights, ties)
