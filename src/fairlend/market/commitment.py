"""Investing by hand: an investor commits cash to a listing, in multiples of the note size.

Two conditional UPDATEs do the guarding, each in one statement, so neither
SQLite nor PostgreSQL can interleave a second investment between a check and
its write: the listing's funded amount grows only while it stays within the
amount asked and the listing is open, and the wallet's committed cash only
while it stays within the cash. The listing's row is taken first and the
wallet's second, in every transaction that takes both (funding takes the
listing, then wallets in investor order), so concurrent investments never
deadlock. An investment that completes its listing originates the loan in
the same transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, PolicyViolation
from fairlend.faults import crash_point
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.market.funding import Funding
from fairlend.market.listing import listing_row
from fairlend.market.model import (
    CommitmentStatus,
    CommitmentView,
    ListingStatus,
    check_amount,
    suitability_headroom,
)
from fairlend.market.ports import InvestorIdentity
from fairlend.market.tables import market_commitment, market_listing, market_note, market_wallet
from fairlend.market.wallet import Wallets, shortfall, wallet_of
from fairlend.money import Money


class Commitments:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        wallets: Wallets,
        identity: InvestorIdentity,
        funding: Funding,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._market = profile.marketplace
        self._wallets = wallets
        self._identity = identity
        self._funding = funding

    def invest(self, investor_id: str, listing_id: str, amount: Money) -> CommitmentView:
        """Commit `amount` of available cash to an open listing; refused with a stable code, nothing written."""
        check_amount(amount, self._profile.currency, self._market.note_minimum_minor)
        with self._uow(read_only=True) as uow:
            investor = self._wallets.ready(uow, investor_id)
            row = listing_row(uow, listing_id)
            self._open(row.status, row.deadline, uow.clock.business_date())
            if amount.minor > row.amount_minor - row.funded_minor:
                raise _over_remainder(Money(row.amount_minor - row.funded_minor, row.currency))
        if self._identity.same_person(investor_id, row.borrower_id):
            raise Forbidden("own_loan", "you cannot invest in your own loan")
        net_worth = None if investor.net_worth_minor is None else Money(investor.net_worth_minor, investor.currency)
        commitment_id = new_id("cmt")
        with self._uow() as uow:
            grown = uow.conn.execute(
                update(market_listing)
                .where(
                    market_listing.c.id == listing_id,
                    market_listing.c.status == ListingStatus.OPEN.value,
                    market_listing.c.funded_minor + amount.minor <= market_listing.c.amount_minor,
                )
                .values(funded_minor=market_listing.c.funded_minor + amount.minor)
                .returning(market_listing.c.funded_minor, market_listing.c.amount_minor)
            ).first()
            if grown is None:
                now = listing_row(uow, listing_id)
                self._open(now.status, now.deadline, uow.clock.business_date())
                raise _over_remainder(Money(now.amount_minor - now.funded_minor, now.currency))
            completes = grown.funded_minor == grown.amount_minor
            if completes:
                # Originating moves every participant's wallet: take them all, in investor order, before
                # this investor's alone, or two listings completing at once could wait on each other.
                self._funding.lock_wallets(uow, listing_id, also=investor_id)
            reserved = uow.conn.execute(
                update(market_wallet)
                .where(
                    market_wallet.c.investor_id == investor_id,
                    market_wallet.c.cash_minor - market_wallet.c.committed_minor >= amount.minor,
                )
                .values(committed_minor=market_wallet.c.committed_minor + amount.minor)
            ).rowcount
            if reserved != 1:
                raise shortfall(wallet_of(uow, investor_id, self._profile.currency), amount, "invest")
            # MK-5 checked under the wallet's row lock: two investments at once cannot both fit the limit.
            self._within_suitability(uow, investor_id, net_worth, amount)
            uow.conn.execute(
                insert(market_commitment).values(
                    investor_id=investor_id,
                    id=commitment_id,
                    listing_id=listing_id,
                    status=CommitmentStatus.RESERVED.value,
                    currency=amount.currency,
                    amount_minor=amount.minor,
                    created_at=uow.clock.now(),
                )
            )
            crash_point("market.after_reserve")  # cash reserved, no note yet: a crash here leaves neither
            loan_id = None
            status = CommitmentStatus.RESERVED
            if completes:
                loan_id = self._funding.originate(uow, listing_id)
                status = CommitmentStatus.FUNDED
            uow.commit()
        return CommitmentView(commitment_id, investor_id, listing_id, status, amount, loan_id)

    def _open(self, status: str, deadline: date, today: date) -> None:
        if status != ListingStatus.OPEN.value:
            raise Conflict("listing_not_open", f"this listing is {status}; it takes no investments")
        if deadline < today:
            raise Conflict("listing_expired", "this listing's funding deadline has passed")

    def _within_suitability(self, uow: UnitOfWork, investor_id: str, net_worth: Money | None, amount: Money) -> None:
        """MK-5: notes and commitments, this one included, within the share of stated net worth."""
        before = self._invested(uow, investor_id) - amount  # the reservation just made is in `committed`
        rules = self._market.investors
        headroom = suitability_headroom(net_worth, rules.suitability_share, before)
        if headroom is not None and amount.minor > headroom.minor:
            raise PolicyViolation(
                "suitability_limit",
                f"notes are limited to {rules.suitability_share:%} of your stated net worth; {headroom} is left",
                rules=[rules.suitability_rule],
            )

    def _invested(self, uow: UnitOfWork, investor_id: str) -> Money:
        """What the investor has in notes and commitments now (MK-5's suitability base)."""
        conn = uow.conn
        committed = conn.execute(
            select(market_wallet.c.committed_minor).where(market_wallet.c.investor_id == investor_id)
        ).scalar()
        outstanding = conn.execute(
            select(func.coalesce(func.sum(market_note.c.outstanding_minor), 0)).where(
                market_note.c.holder_id == investor_id
            )
        ).scalar()
        return Money(int(committed or 0) + int(outstanding or 0), self._profile.currency)

    def of_investor(self, investor_id: str) -> list[CommitmentView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(market_commitment, market_listing.c.loan_id)
                .join(market_listing, market_listing.c.id == market_commitment.c.listing_id)
                .where(market_commitment.c.investor_id == investor_id)
                .order_by(market_commitment.c.id)
            ).all()
        return [
            CommitmentView(
                r.id,
                r.investor_id,
                r.listing_id,
                CommitmentStatus(r.status),
                Money(r.amount_minor, r.currency),
                r.loan_id,
            )
            for r in rows
        ]


def _over_remainder(left: Money) -> Conflict:
    return Conflict("over_remainder", f"the listing needs only {left} more", remaining=str(left.to_decimal()))
