"""Funding: an accepted offer becomes a listing, and a funded listing a loan owned by its notes.

Origination hands every accepted offer to `Funding.fund` (its FundingPort) in
the acceptance transaction. With retail investors on (MK-5) the offer is
listed; otherwise (MK-1) it is funded at once by the funding partners and the
platform (MK-2). Originating a listing — when an investment completes it, at
its deadline, or at once — is one transaction: the loan booked and disbursed
through lending's own booking path with the notes' postings, the notes, the
investors' commitments and cash, the listing and the offer. A loan the
platform alone funds is the same path with one note, the platform's.
Once an acceptance that listed an offer has committed, `when_listed` runs
(auto-invest's pass over the new listing, in its own transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict
from fairlend.faults import crash_point
from fairlend.jurisdiction.model import Profile
from fairlend.lending.service import LendingService
from fairlend.market.listing import Listings, listing_row
from fairlend.market.model import (
    CommitmentStatus,
    DeadlineOutcome,
    DeadlineReport,
    HolderKind,
    ListingStatus,
    at_deadline,
    co_funding,
    deadline_of,
    funding_postings,
    investor_notes,
    partial_fee,
)
from fairlend.market.note import insert_notes
from fairlend.market.ports import OfferOutcomes
from fairlend.market.safeguards import reflecting, waits_for_reflection
from fairlend.market.tables import market_commitment, market_listing, market_wallet
from fairlend.money import Money
from fairlend.origination.ports import FundingOutcome, FundingRequest


class Funding:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        lending: LendingService,
        listings: Listings,
        offers: OfferOutcomes,
        product_code: str,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._market = profile.marketplace
        self._lending = lending
        self._listings = listings
        self.offers = offers
        self._product = product_code
        # Called with a new listing's id once the acceptance that listed it has committed (auto-invest).
        self.when_listed: list[Callable[[str], None]] = []

    # -- origination's FundingPort ------------------------------------------------------------

    def fund(self, uow: UnitOfWork, request: FundingRequest) -> FundingOutcome:
        today = uow.clock.business_date()
        listing_id = self._listings.insert(uow, request, deadline_of(today, self._market))
        if self._market.retail:
            for react in self.when_listed:
                uow.after_commit(partial(react, listing_id))
            return FundingOutcome(listing_id=listing_id)
        loan_id = self.originate(uow, listing_id, notify=False)
        return FundingOutcome(loan_id=loan_id, listing_id=listing_id)

    # -- originating -----------------------------------------------------------------------

    def originate(self, uow: UnitOfWork, listing_id: str, *, amount: Money | None = None, notify: bool = True) -> str:
        """Book the listing's loan for `amount` (all it asked by default) in the caller's transaction.

        Investors hold what they committed; the unfunded rest (if any) goes to the
        funding partners and the platform by the profile's shares. The caller holds
        the listing's row lock (an investment's conditional UPDATE, or `claim`).
        """
        row = listing_row(uow, listing_id)
        if row.status != ListingStatus.OPEN.value:
            raise Conflict("listing_not_open", f"listing {listing_id} is {row.status}")
        currency = row.currency
        asked = Money(row.amount_minor, currency)
        principal = amount or asked
        commitments = [
            (r.investor_id, r.amount_minor)
            for r in uow.conn.execute(
                select(market_commitment.c.investor_id, market_commitment.c.amount_minor).where(
                    market_commitment.c.listing_id == listing_id,
                    market_commitment.c.status == CommitmentStatus.RESERVED.value,
                )
            )
        ]
        self.lock_wallets(uow, listing_id)  # before the ledger rows book_loan_in takes
        notes = investor_notes(commitments, currency)
        funded = sum(n.principal.minor for n in notes)
        if funded > principal.minor:
            raise Conflict("listing_overfunded", f"listing {listing_id} holds more commitments than its loan")
        if principal.minor > funded:
            notes += co_funding(Money(principal.minor - funded, currency), self._market)
        fee = partial_fee(Money(row.fee_minor, currency), principal, asked)
        loan_id = self._lending.book_loan_in(
            uow,
            row.borrower_id,
            self._product,
            principal,
            rate=row.nominal_rate,
            term=row.term_months,
            fee=fee,
            funding=funding_postings(notes, fee),
            grade=row.grade,  # the offer's, as listed
        )
        crash_point("market.before_notes")  # the loan booked and cash moving, no note yet
        insert_notes(uow, loan_id, listing_id, notes)
        uow.conn.execute(
            update(market_commitment)
            .where(
                market_commitment.c.listing_id == listing_id,
                market_commitment.c.status == CommitmentStatus.RESERVED.value,
            )
            .values(status=CommitmentStatus.FUNDED.value)
        )
        # Every investor's wallet in one UPDATE: all are locked already, in investor order (lock_wallets above),
        # so two fundings touching the same investors never deadlock; the table's check keeps each covered.
        paid = {n.holder_id: n.principal.minor for n in notes if n.kind is HolderKind.INVESTOR}
        if paid:
            w = market_wallet.c
            each = case(paid, value=w.investor_id, else_=0)
            uow.conn.execute(
                update(market_wallet)
                .where(w.investor_id.in_(sorted(paid)))
                .values(cash_minor=w.cash_minor - each, committed_minor=w.committed_minor - each)
            )
        uow.conn.execute(
            update(market_listing)
            .where(market_listing.c.id == listing_id)
            .values(
                status=ListingStatus.FUNDED.value,
                loan_id=loan_id,
                loan_amount_minor=principal.minor,
                closed_at=uow.clock.now(),
            )
        )
        if notify:
            self.offers.listing_funded(uow, row.borrower_id, row.offer_id, loan_id, principal, fee)
        return loan_id

    def lock_wallets(self, uow: UnitOfWork, listing_id: str, *, also: Sequence[str] = ()) -> None:
        """Lock every wallet the listing's funding moves, in investor order, before any ledger row.

        The one lock order for cash (listing, then wallets by investor id, then the ledger): an
        investment that completes a listing and the end-of-day deadline both go through here."""
        participants = select(market_commitment.c.investor_id).where(
            market_commitment.c.listing_id == listing_id,
            market_commitment.c.status == CommitmentStatus.RESERVED.value,
        )
        wanted: ColumnElement[bool] = market_wallet.c.investor_id.in_(participants)
        if also:
            wanted = or_(wanted, market_wallet.c.investor_id.in_(sorted(set(also))))
        uow.conn.execute(
            select(market_wallet.c.investor_id).where(wanted).order_by(market_wallet.c.investor_id).with_for_update()
        ).all()

    def cancel_in(self, uow: UnitOfWork, listing_id: str) -> None:
        """Cancel an open listing whose row lock the caller holds: every investor's cash is released."""
        row = listing_row(uow, listing_id)
        held: dict[str, int] = {}
        for r in uow.conn.execute(
            select(market_commitment.c.investor_id, market_commitment.c.amount_minor).where(
                market_commitment.c.listing_id == listing_id,
                market_commitment.c.status == CommitmentStatus.RESERVED.value,
            )
        ):
            held[r.investor_id] = held.get(r.investor_id, 0) + r.amount_minor
        for investor_id, minor in sorted(held.items()):
            uow.conn.execute(
                update(market_wallet)
                .where(market_wallet.c.investor_id == investor_id)
                .values(committed_minor=market_wallet.c.committed_minor - minor)
            )
        uow.conn.execute(
            update(market_commitment)
            .where(
                market_commitment.c.listing_id == listing_id,
                market_commitment.c.status == CommitmentStatus.RESERVED.value,
            )
            .values(status=CommitmentStatus.RELEASED.value)
        )
        uow.conn.execute(
            update(market_listing)
            .where(market_listing.c.id == listing_id)
            .values(status=ListingStatus.CANCELLED.value, closed_at=uow.clock.now())
        )
        self.offers.listing_not_funded(uow, row.borrower_id, row.offer_id)

    def claim(self, uow: UnitOfWork, listing_id: str) -> bool:
        """Take the listing's row lock if it is still open (a no-op UPDATE: investments wait behind it)."""
        changed = uow.conn.execute(
            update(market_listing)
            .where(market_listing.c.id == listing_id, market_listing.c.status == ListingStatus.OPEN.value)
            .values(funded_minor=market_listing.c.funded_minor)
        ).rowcount
        return changed == 1

    # -- operators -------------------------------------------------------------------------------

    def close(self, listing_id: str) -> None:
        """An operator withdraws an open listing: cancelled, investors' cash released, the offer not funded."""
        with self._uow() as uow:
            row = listing_row(uow, listing_id)
            if not self.claim(uow, listing_id):
                raise Conflict("listing_not_open", f"listing {listing_id} is {row.status}")
            self.cancel_in(uow, listing_id)
            uow.commit()

    def run_deadline(self, uow: UnitOfWork, today: date) -> DeadlineReport:
        """Every open listing whose last day is `today` or before: originate in full or in part, or cancel."""
        # Every due listing locked first, in id order: an investment holds its listing before any wallet,
        # so the deadline must not take a listing after the wallets of another.
        due = [
            r.id
            for r in uow.conn.execute(
                select(market_listing.c.id)
                .where(market_listing.c.status == ListingStatus.OPEN.value, market_listing.c.deadline <= today)
                .order_by(market_listing.c.id)
                .with_for_update()
            )
        ]
        full: list[str] = self._originate_reflected(uow, today, due)
        partial: list[str] = []
        cancelled: list[str] = []
        for listing_id in due:
            if listing_id in full or not self.claim(uow, listing_id):
                continue  # funded or closed meanwhile
            if reflecting(uow, self._market.investors, listing_id, today):
                continue  # MK-4: decided on the first end-of-day past every commitment's reflection period
            row: Any = listing_row(uow, listing_id)
            funded, asked = Money(row.funded_minor, row.currency), Money(row.amount_minor, row.currency)
            outcome = at_deadline(funded, asked, row.partial_ok, self._market)
            if outcome is DeadlineOutcome.ORIGINATE_FULL:
                self.originate(uow, listing_id)
                full.append(listing_id)
            elif outcome is DeadlineOutcome.ORIGINATE_FUNDED:
                self.originate(uow, listing_id, amount=funded)
                partial.append(listing_id)
            else:
                self.cancel_in(uow, listing_id)
                cancelled.append(listing_id)
        return DeadlineReport(tuple(full), tuple(partial), tuple(cancelled))

    def _originate_reflected(self, uow: UnitOfWork, today: date, due: list[str]) -> list[str]:
        """MK-4: full listings that waited for their commitments' reflection periods, originated once all passed.

        Locked in id order after the due ones (a listing due and full is among `due`, locked already)."""
        if not waits_for_reflection(self._market.investors):
            return []
        full = [
            r.id
            for r in uow.conn.execute(
                select(market_listing.c.id)
                .where(
                    market_listing.c.status == ListingStatus.OPEN.value,
                    market_listing.c.funded_minor == market_listing.c.amount_minor,
                )
                .order_by(market_listing.c.id)
            )
        ]
        originated: list[str] = []
        for listing_id in full:
            if not self.claim(uow, listing_id):
                continue
            row = listing_row(uow, listing_id)
            if row.funded_minor != row.amount_minor or reflecting(uow, self._market.investors, listing_id, today):
                continue  # a revocation reopened it, or a commitment is still inside its period
            self.originate(uow, listing_id)
            originated.append(listing_id)
        return originated

    def deadline(self) -> DeadlineReport:
        """`fairlend market deadline`: the deadline step on its own, for today's business date."""
        with self._uow() as uow:
            report = self.run_deadline(uow, uow.clock.business_date())
            uow.commit()
        return report
