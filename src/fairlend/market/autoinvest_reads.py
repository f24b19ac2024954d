"""What an auto-invest pass reads under its locks, for every seated investor at once, and its check after writing.

A pass over a listing with hundreds of matching rules reads each fact in one
statement for the whole set (`WHERE investor_id IN (...)`, grouped by
investor), never a statement per rule: wallets, net worth, notes
outstanding (their notes payable), the rotation's cursors, MK-4's limits;
notes and commitments with the listing's borrower are read through the
borrower's listings (`borrower_holdings`), whatever the investors hold elsewhere.
After the pass has written its commitments, `recheck` reads the wallets and commitments
again and holds every investor's share to the limits `Commitments.reserve`
checks for one investment (MK-5's suitability, the rule's per-borrower
share, MK-4's warning): the allocation was computed within them from reads
under the same locks, so a refusal here means a bug, and it rolls the pass
back rather than let it through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, PolicyViolation
from fairlend.jurisdiction.model import InvestorRules
from fairlend.market.autoinvest_model import Standing, borrower_cap
from fairlend.market.borrower_holdings import committed_with, notes_with
from fairlend.market.ecsp import large_investment_limit, needs_warning
from fairlend.market.model import CommitmentStatus, suitability_headroom
from fairlend.market.positions import outstanding_of
from fairlend.market.tables import (
    market_autoinvest_cursor,
    market_commitment,
    market_investor,
    market_wallet,
)
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class Share:
    """One investor's part of a pass, as written: what the limits are checked against."""

    investor_id: str
    amount: int
    borrower_share: Decimal


def exposure(
    uow: UnitOfWork, investors: Sequence[str], borrower_id: str, currency: str
) -> tuple[dict[str, int], dict[str, int]]:
    """Principal outstanding in each investor's notes: in all of them, and in the borrower's loans.

    All of them: each investor's notes payable (`positions.outstanding_of`), a look-up whatever the
    book's size. The borrower's: through the borrower's loans (`borrower_holdings.notes_with`).
    """
    return outstanding_of(uow, investors, currency), notes_with(uow.conn, investors, borrower_id)


@dataclass(frozen=True, slots=True)
class Standings:
    """What a pass read of its seated investors under the locks."""

    of: dict[str, Standing]  # investors without a wallet have none (no cash, no seat)
    net_worth: dict[str, Money | None]  # MK-5's stated net worth
    in_notes: dict[str, int]  # notes outstanding on the listing's borrower's loans


def standings(
    uow: UnitOfWork, rules: InvestorRules, currency: str, investors: Sequence[str], borrower_id: str
) -> Standings:
    """Each investor's cash, commitments, notes and what they hold with this borrower, read under the locks."""
    conn = uow.conn
    wallets = {
        r.investor_id: r for r in conn.execute(select(market_wallet).where(market_wallet.c.investor_id.in_(investors)))
    }
    worth = {
        r.investor_id: r.net_worth_minor
        for r in conn.execute(
            select(market_investor.c.investor_id, market_investor.c.net_worth_minor).where(
                market_investor.c.investor_id.in_(investors)
            )
        )
    }
    outstanding, in_notes = exposure(uow, investors, borrower_id, currency)
    in_commitments = committed_with(conn, investors, borrower_id)
    found: dict[str, Standing] = {}
    net_worth: dict[str, Money | None] = {}
    for investor_id in investors:
        wallet = wallets.get(investor_id)
        if wallet is None:
            continue
        worth_minor = worth.get(investor_id)
        net_worth[investor_id] = None if worth_minor is None else Money(worth_minor, currency)
        notes = outstanding.get(investor_id, 0)
        suitability = suitability_headroom(
            net_worth[investor_id], rules.suitability_share, Money(wallet.committed_minor + notes, currency)
        )
        found[investor_id] = Standing(
            cash=wallet.cash_minor,
            committed=wallet.committed_minor,
            outstanding=notes,
            in_borrower=in_notes.get(investor_id, 0) + in_commitments.get(investor_id, 0),
            suitability=None if suitability is None else suitability.minor,
        )
    return Standings(found, net_worth, in_notes)


def last_turns(uow: UnitOfWork, investors: Sequence[str]) -> dict[str, int]:
    cursor = market_autoinvest_cursor.c
    return {
        r.investor_id: int(r.last_turn)
        for r in uow.conn.execute(select(cursor.investor_id, cursor.last_turn).where(cursor.investor_id.in_(investors)))
    }


def next_turn(uow: UnitOfWork) -> int:
    last = uow.conn.execute(select(func.max(market_autoinvest_cursor.c.last_turn))).scalar()
    return int(last or 0) + 1


def warning_limits(uow: UnitOfWork, rules: InvestorRules, investors: Sequence[str]) -> dict[str, int | None]:
    """MK-4: what one listing may hold of each investor's money without the warning (`safeguards.warning_limit`)."""
    if not rules.ecsp:
        return dict.fromkeys(investors)
    worth = {
        r.investor_id: r.ecsp_net_worth_minor
        for r in uow.conn.execute(
            select(market_investor.c.investor_id, market_investor.c.ecsp_net_worth_minor).where(
                market_investor.c.investor_id.in_(investors)
            )
        )
    }
    return {
        i: large_investment_limit(
            rules.large_investment_minor,
            rules.large_investment_share,
            None if worth.get(i) is None else int(worth[i]),
        )
        for i in investors
    }


def in_listing(uow: UnitOfWork, investors: Sequence[str], listing_id: str) -> dict[str, int]:
    """Each investor's reserved commitments to one listing (`safeguards.in_listing` for a set)."""
    c = market_commitment.c
    return _sums(
        uow.conn,
        select(c.investor_id, func.sum(c.amount_minor))
        .where(c.investor_id.in_(investors), c.listing_id == listing_id, c.status == CommitmentStatus.RESERVED.value)
        .group_by(c.investor_id),
    )


def recheck(
    uow: UnitOfWork,
    rules: InvestorRules,
    currency: str,
    listing: Any,
    shares: Sequence[Share],
    before: Standings,
) -> None:
    """After the pass's writes, under its locks: every share within MK-5, its rule's borrower share and MK-4.

    The wallets and commitments are read again; notes are not (the pass writes none before it
    originates, and nobody else moves these investors' notes while their wallets are locked).
    Raises as `Commitments.reserve` would (the caller's transaction then rolls back)."""
    investors = [s.investor_id for s in shares]
    w = market_wallet.c
    wallets = {
        r.investor_id: r
        for r in uow.conn.execute(
            select(w.investor_id, w.cash_minor, w.committed_minor).where(w.investor_id.in_(investors))
        )
    }
    in_commitments = committed_with(uow.conn, investors, listing.borrower_id)
    limits = warning_limits(uow, rules, investors)
    held_here = in_listing(uow, investors, listing.id) if rules.ecsp else {}
    for share in shares:
        wallet, notes = wallets[share.investor_id], before.of[share.investor_id].outstanding
        invested = Money(wallet.committed_minor + notes - share.amount, currency)
        room = suitability_headroom(before.net_worth[share.investor_id], rules.suitability_share, invested)
        if room is not None and share.amount > room.minor:
            raise PolicyViolation(
                "suitability_limit",
                f"notes are limited to {rules.suitability_share:%} of your stated net worth; {room} is left",
                rules=[rules.suitability_rule],
            )
        held = before.in_notes.get(share.investor_id, 0) + in_commitments.get(share.investor_id, 0)
        if held > borrower_cap(share.borrower_share, wallet.cash_minor, notes):
            raise Conflict(
                "autoinvest_borrower_share",
                f"your rule keeps at most {share.borrower_share:%} of your portfolio with one borrower",
            )
        limit = limits[share.investor_id]
        if needs_warning(held_here.get(share.investor_id, 0), limit):
            raise PolicyViolation(
                "large_investment_warning",
                f"{rules.risk_warning.en}. Auto-invest stays at or below {Money(limit or 0, currency)} in one project",
                rules=[rules.ecsp_rule],
            )


def _sums(conn: Any, query: Any) -> dict[str, int]:
    return {key: int(total or 0) for key, total in conn.execute(query)}
