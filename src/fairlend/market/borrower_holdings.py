"""What investors hold with one borrower: notes outstanding on the borrower's loans, open commitments to
the borrower's listings (the rule's per-borrower share, on a pass and on one reservation).

Both are read through the borrower's few listings (the listings' key starts with the borrower; the
notes' loan index, the commitments' listing index) and filtered to the investors asked about. Read
the other way round, through each investor's notes or commitments, they cost every note and every
commitment the investors ever had, and the databases' planners pick that way for a short list of
investors: it grew with the book, per listing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from fairlend.market.model import CommitmentStatus
from fairlend.market.positions import positions
from fairlend.market.tables import market_commitment, market_listing


def _summed(rows: Iterable[Any], investors: Iterable[str]) -> dict[str, int]:
    wanted = set(investors)
    found: dict[str, int] = {}
    for investor_id, minor in rows:
        if investor_id in wanted:
            found[investor_id] = found.get(investor_id, 0) + int(minor)
    return found


def notes_with(conn: Any, investors: Iterable[str], borrower_id: str) -> dict[str, int]:
    """Each investor's notes outstanding on the borrower's loans (investors with none are left out)."""
    loans = select(market_listing.c.loan_id).where(
        market_listing.c.borrower_id == borrower_id, market_listing.c.loan_id.is_not(None)
    )
    n = positions().c  # outstanding principal as it is now, derived from the loans' cumulative rows
    rows = conn.execute(select(n.holder_id, n.outstanding_minor).where(n.loan_id.in_(loans), n.outstanding_minor > 0))
    return _summed(rows, investors)


def committed_with(conn: Any, investors: Iterable[str], borrower_id: str) -> dict[str, int]:
    """Each investor's open (reserved) commitments to the borrower's listings (none: left out)."""
    c = market_commitment.c
    listings = select(market_listing.c.id).where(market_listing.c.borrower_id == borrower_id)
    rows = conn.execute(
        select(c.investor_id, c.amount_minor).where(
            c.listing_id.in_(listings), c.status == CommitmentStatus.RESERVED.value
        )
    )
    return _summed(rows, investors)
