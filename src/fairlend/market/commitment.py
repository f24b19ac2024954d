"""Investing: an investor commits cash to a listing, in multiples of the note size, by hand or by auto-invest.

Two conditional UPDATEs do the guarding, each in one statement, so neither
SQLite nor PostgreSQL can interleave a second investment between a check and
its write: the listing's funded amount grows only while it stays within the
amount asked and the listing is open, and the wallet's committed cash only
while it stays within the cash. The listing's row is taken first and the
wallet's second, in every transaction that takes both (funding takes the
listing, then wallets in investor order), so concurrent investments never
deadlock. An investment that completes its listing originates the loan in
the same transaction. Auto-invest (autoinvest.py) goes through the same two
guards for a whole pass: `grow` by the pass's total, and `reserve_many`,
the wallet's guard with each rule's cash reserve for every share in one
UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, insert, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, PolicyViolation
from fairlend.faults import crash_point
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.market.autoinvest_model import borrower_cap
from fairlend.market.borrower_holdings import committed_with, notes_with
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
from fairlend.market.positions import outstanding_of
from fairlend.market.safeguards import Safeguards, check_large_investment, require_entry_test, waits_for_reflection
from fairlend.market.tables import market_commitment, market_listing, market_wallet
from fairlend.market.wallet import Wallets, shortfall, wallet_of
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class Reservation:
    """One investor's share of an auto-invest pass: `amount` reserved, `keep` (the rule's reserve) left available."""

    investor_id: str
    amount: Money
    keep: Money | None


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
        self._safeguards = Safeguards(uow, profile)

    def invest(
        self, investor_id: str, listing_id: str, amount: Money, *, acknowledged_risk: bool = False
    ) -> CommitmentView:
        """Commit `amount` of available cash to an open listing; refused with a stable code, nothing written.

        `acknowledged_risk`: the investor saw MK-4's large-investment warning and goes ahead."""
        check_amount(amount, self._profile.currency, self._market.note_minimum_minor)
        with self._uow(read_only=True) as uow:
            investor = self._wallets.ready(uow, investor_id)
            require_entry_test(self._market.investors, investor)
            row = listing_row(uow, listing_id)
            self._open(row.status, row.deadline, uow.clock.business_date())
            if amount.minor > row.amount_minor - row.funded_minor:
                raise _over_remainder(Money(row.amount_minor - row.funded_minor, row.currency))
        if self._identity.same_person(investor_id, row.borrower_id):
            raise Forbidden("own_loan", "you cannot invest in your own loan")
        net_worth = None if investor.net_worth_minor is None else Money(investor.net_worth_minor, investor.currency)
        with self._uow() as uow:
            # MK-4: a listing filled inside a reflection period waits for end-of-day (funding.run_deadline).
            completes = self.grow(uow, listing_id, amount) and not waits_for_reflection(self._market.investors)
            if completes:
                # Originating moves every participant's wallet: take them all, in investor order, before
                # this investor's alone, or two listings completing at once could wait on each other.
                self._funding.lock_wallets(uow, listing_id, also=(investor_id,))
            commitment_id = self.reserve(
                uow, investor_id, listing_id, amount, net_worth, acknowledged_risk=acknowledged_risk
            )
            crash_point("market.after_reserve")  # cash reserved, no note yet: a crash here leaves neither
            loan_id = None
            status = CommitmentStatus.RESERVED
            if completes:
                loan_id = self._funding.originate(uow, listing_id)
                status = CommitmentStatus.FUNDED
            uow.commit()
        return CommitmentView(commitment_id, investor_id, listing_id, status, amount, loan_id)

    # -- the two conditional UPDATEs: every investment, by hand or by auto-invest, goes through both ----------

    def grow(self, uow: UnitOfWork, listing_id: str, amount: Money) -> bool:
        """The listing's funded amount grows by `amount` only while it stays within the amount asked and open.

        Takes the listing's row lock; refused (`over_remainder`, `listing_not_open`, `listing_expired`)
        otherwise. True when this completes the listing (the caller originates it)."""
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
        return bool(grown.funded_minor == grown.amount_minor)

    def reserve(
        self,
        uow: UnitOfWork,
        investor_id: str,
        listing_id: str,
        amount: Money,
        net_worth: Money | None,
        *,
        keep: Money | None = None,
        borrower_share: Decimal | None = None,
        acknowledged_risk: bool = False,
    ) -> str:
        """Commit `amount` of the investor's cash to the listing (after `grow`); returns the commitment's id.

        The wallet's committed cash grows only while the cash left available stays at or above
        `keep` (auto-invest's reserve; nothing by hand), in one conditional UPDATE that takes the
        wallet's row lock. Under that lock: MK-5's suitability limit, and, for auto-invest, the
        rule's share of the portfolio in one borrower. A refusal raises; the caller's transaction
        then rolls back, the listing's growth with it."""
        kept = 0 if keep is None else keep.minor
        reserved = uow.conn.execute(
            update(market_wallet)
            .where(
                market_wallet.c.investor_id == investor_id,
                market_wallet.c.cash_minor - market_wallet.c.committed_minor - amount.minor >= kept,
            )
            .values(committed_minor=market_wallet.c.committed_minor + amount.minor)
        ).rowcount
        if reserved != 1:
            wallet = wallet_of(uow, investor_id, self._profile.currency)
            if kept and wallet.available.minor >= amount.minor:
                raise Conflict(
                    "autoinvest_cash_reserve",
                    f"investing {amount} would leave less than the cash reserve {keep} available",
                )
            raise shortfall(wallet, amount, "invest")
        # MK-5 checked under the wallet's row lock: two investments at once cannot both fit the limit.
        self._within_suitability(uow, investor_id, net_worth, amount)
        if borrower_share is not None:
            self._within_borrower_share(uow, investor_id, listing_id, amount, borrower_share)
        check_large_investment(  # MK-4, also under the wallet's row lock
            uow, self._market.investors, investor_id, listing_id, amount, acknowledged=acknowledged_risk
        )
        commitment_id = new_id("cmt")
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
        return commitment_id

    def reserve_many(self, uow: UnitOfWork, listing_id: str, shares: Sequence[Reservation]) -> list[str]:
        """`reserve`'s wallet guard for a whole auto-invest pass (after `grow` by their total), in one UPDATE.

        Each wallet's committed cash grows by its share only while the cash left available stays at
        or above that share's `keep`; every wallet must pass or the pass is refused as `reserve`
        refuses its first failing investor (the caller's transaction rolls back). The caller holds
        the listing and every wallet (`Funding.lock_wallets`) and checks the other limits after
        (`autoinvest_reads.recheck`). Returns the commitments' ids, in the order of `shares`."""
        if not shares:
            return []
        w = market_wallet.c
        amounts = {s.investor_id: s.amount.minor for s in shares}
        keeps = {s.investor_id: 0 if s.keep is None else s.keep.minor for s in shares}
        share_of = case(amounts, value=w.investor_id, else_=0)
        keep_of = case(keeps, value=w.investor_id, else_=0)
        reserved = {
            r.investor_id
            for r in uow.conn.execute(
                update(market_wallet)
                .where(w.investor_id.in_(sorted(amounts)), w.cash_minor - w.committed_minor - share_of >= keep_of)
                .values(committed_minor=w.committed_minor + share_of)
                .returning(w.investor_id)
            )
        }
        for share in shares:
            if share.investor_id in reserved:
                continue
            wallet = wallet_of(uow, share.investor_id, self._profile.currency)  # not moved: as it was
            if keeps[share.investor_id] and wallet.available.minor >= share.amount.minor:
                raise Conflict(
                    "autoinvest_cash_reserve",
                    f"investing {share.amount} would leave less than the cash reserve {share.keep} available",
                )
            raise shortfall(wallet, share.amount, "invest")
        now = uow.clock.now()
        ids = [new_id("cmt") for _ in shares]
        rows = [
            {
                "investor_id": s.investor_id,
                "id": commitment_id,
                "listing_id": listing_id,
                "status": CommitmentStatus.RESERVED.value,
                "currency": s.amount.currency,
                "amount_minor": s.amount.minor,
                "created_at": now,
            }
            for s, commitment_id in zip(shares, ids, strict=True)
        ]
        uow.conn.execute(insert(market_commitment), rows)
        return ids

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

    def _within_borrower_share(
        self, uow: UnitOfWork, investor_id: str, listing_id: str, amount: Money, share: Decimal
    ) -> None:
        """Auto-invest's per-borrower limit: this borrower's notes and commitments, this one included,
        within `share` of the portfolio (cash and notes outstanding)."""
        borrower_id = listing_row(uow, listing_id).borrower_id
        cash = uow.conn.execute(
            select(market_wallet.c.cash_minor).where(market_wallet.c.investor_id == investor_id)
        ).scalar()
        notes = outstanding_of(uow, [investor_id], amount.currency)[investor_id]
        cap = borrower_cap(share, int(cash or 0), notes)
        held = in_borrower(uow, investor_id, borrower_id) + amount.minor  # its commitment row is written next
        if held > cap:
            left = Money(max(0, cap - (held - amount.minor)), amount.currency)
            raise Conflict(
                "autoinvest_borrower_share",
                f"your rule keeps at most {share:%} of your portfolio with one borrower; {left} is left",
            )

    def _invested(self, uow: UnitOfWork, investor_id: str) -> Money:
        """What the investor has in notes and commitments now (MK-5's suitability base)."""
        committed = uow.conn.execute(
            select(market_wallet.c.committed_minor).where(market_wallet.c.investor_id == investor_id)
        ).scalar()
        currency = self._profile.currency
        return Money(int(committed or 0) + outstanding_of(uow, [investor_id], currency)[investor_id], currency)

    def revoke(self, investor_id: str, commitment_id: str) -> None:
        """MK-4: withdraw a reserved commitment inside its reflection period (safeguards.py)."""
        self._safeguards.revoke(investor_id, commitment_id)

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


def in_borrower(uow: UnitOfWork, investor_id: str, borrower_id: str) -> int:
    """What the investor has with one borrower: notes outstanding on their loans and open commitments to them."""
    notes = notes_with(uow.conn, [investor_id], borrower_id).get(investor_id, 0)
    return notes + committed_with(uow.conn, [investor_id], borrower_id).get(investor_id, 0)


def _over_remainder(left: Money) -> Conflict:
    return Conflict("over_remainder", f"the listing needs only {left} more", remaining=str(left.to_decimal()))
