"""Auto-invest: when a listing opens, investors' rules invest in it in a fair, deterministic rotation.

A pass over one listing is one transaction, run just after the acceptance
that listed the offer has committed (`Funding.when_listed`, through
`UnitOfWork.after_commit`), and again for every open listing by the operator
(`fairlend market autoinvest`) and after each end-of-day. Not inside the
acceptance: a borrower's acceptance must never fail, wait on investors'
wallets or roll back because of auto-invest. A pass that fails is logged and
leaves the listing as it was; the next sweep serves it.

The lock order is the market's one order for cash, with the rotation in
front: the rotation (an advisory lock on PostgreSQL; SQLite's BEGIN IMMEDIATE
already runs one writer at a time), so passes never interleave and the turn
numbers stay a single sequence; then the listing (`Funding.claim`); then every
wallet the pass may move, the listing's earlier investors included, in
investor order (`Funding.lock_wallets`), before any is read. The allocation
is then a pure function of what is locked (`autoinvest_model.rotation`), and
each investor's share of it goes through the same two conditional UPDATEs as
a manual investment (`Commitments.grow`, `Commitments.reserve`), the rule's
cash reserve and per-borrower share added to the wallet's guard. An
allocation that completes the listing originates the loan in the same
transaction, exactly as a manual investment that completes it does.

Identity's facts (verified, the investor's own loan) are asked before the
transaction opens, as a manual investment does: no other context is called
while the pass holds the rotation, the listing and the wallets.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, true, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import DomainError
from fairlend.jurisdiction.model import Profile
from fairlend.market.autoinvest_model import (
    PassReport,
    Rule,
    Seat,
    Standing,
    SweepReport,
    allocations,
    first_match,
    headroom,
    rotation,
)
from fairlend.market.autoinvest_rules import AutoInvestRules, rule_of
from fairlend.market.commitment import Commitments
from fairlend.market.funding import Funding
from fairlend.market.listing import listing_row
from fairlend.market.model import CommitmentStatus, ListingStatus, suitability_headroom
from fairlend.market.ports import InvestorIdentity
from fairlend.market.positions import positions
from fairlend.market.safeguards import in_listing, waits_for_reflection, warning_limit
from fairlend.market.tables import (
    market_autoinvest_cursor,
    market_autoinvest_investment,
    market_autoinvest_rule,
    market_commitment,
    market_investor,
    market_listing,
    market_wallet,
)
from fairlend.money import Money

log = logging.getLogger("fairlend.market")

# pg_advisory_xact_lock key of the rotation ("autoinv" in ASCII): passes run one at a time.
ROTATION_LOCK = 0x6175746F696E76


class AutoInvest:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        rules: AutoInvestRules,
        commitments: Commitments,
        funding: Funding,
        identity: InvestorIdentity,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._market = profile.marketplace
        self.rules = rules
        self._commitments = commitments
        self._funding = funding
        self._identity = identity

    # -- when it runs ------------------------------------------------------------------------------

    def after_listing_opened(self, listing_id: str) -> None:
        """`Funding.when_listed`: the acceptance has committed; a failure here is logged, never raised."""
        try:
            self.serve(listing_id)
        except Exception:
            log.exception("auto-invest over new listing %s failed; the next sweep serves it", listing_id)

    def sweep(self) -> SweepReport:
        """A pass over every open listing still within its deadline, oldest listing first."""
        if not self._market.retail:
            return SweepReport()
        with self._uow(read_only=True) as uow:
            today = uow.clock.business_date()
            open_ids = [
                r.id
                for r in uow.conn.execute(
                    select(market_listing.c.id)
                    .where(market_listing.c.status == ListingStatus.OPEN.value, market_listing.c.deadline >= today)
                    .order_by(market_listing.c.listed_at, market_listing.c.id)
                )
            ]
            if not open_ids or not self._any_rule(uow):
                return SweepReport()
        return SweepReport(tuple(self.serve(listing_id) for listing_id in open_ids))

    def after_day(self, business_date: date) -> int:
        """End-of-day's after-day step: cash that came in today (deposits, distributions) meets open listings."""
        return self.sweep().turns

    # -- one pass --------------------------------------------------------------------------------

    def serve(self, listing_id: str) -> PassReport:
        """Serve one listing's matching rules in rotation; one transaction; refusals write nothing."""
        with self._uow(read_only=True) as uow:
            row = listing_row(uow, listing_id)  # an unknown listing is refused (listing_not_found)
            if not self._market.retail:
                return PassReport(listing_id)
            if row.status != ListingStatus.OPEN.value or row.deadline < uow.clock.business_date():
                return PassReport(listing_id)
            chosen = self._matching(uow, row)
        seated = {i: rule for i, rule in chosen.items() if self._may_invest(i, row.borrower_id)}
        if not seated:
            return PassReport(listing_id)
        try:
            return self._pass(listing_id, seated)
        except DomainError as exc:
            # The allocation is computed under the locks the guards check, so a refusal means the
            # world moved in a way the plan could not see; nothing was written and the next sweep retries.
            log.warning("auto-invest over listing %s refused: %s", listing_id, exc)
            return PassReport(listing_id, refused=exc.code)

    def _pass(self, listing_id: str, seated: dict[str, Rule]) -> PassReport:
        with self._uow() as uow:
            if uow.dialect == "postgresql":
                uow.conn.execute(select(func.pg_advisory_xact_lock(ROTATION_LOCK)))
            if not self._funding.claim(uow, listing_id):
                return PassReport(listing_id)  # funded or cancelled since it was read
            row = listing_row(uow, listing_id)
            if row.deadline < uow.clock.business_date():
                return PassReport(listing_id)
            investors = sorted(seated)
            self._funding.lock_wallets(uow, listing_id, also=investors)
            standings, net_worth = self._standings(uow, investors, row.borrower_id)
            last_turns = self._last_turns(uow, investors)
            seats = [
                Seat(
                    i,
                    seated[i].id,
                    seated[i].terms.amount.minor,
                    self._below_warning(uow, i, listing_id, headroom(seated[i].terms, s)),
                    last_turns.get(i, 0),
                )
                for i, s in standings.items()
            ]
            turns = rotation(
                seats, row.amount_minor - row.funded_minor, self._market.note_minimum_minor, self._next_turn(uow)
            )
            if not turns:
                return PassReport(listing_id)
            completes = False
            now = uow.clock.now()
            for share in allocations(turns):
                terms = seated[share.investor_id].terms
                amount = Money(share.amount, row.currency)
                completes = self._commitments.grow(uow, listing_id, amount) or completes
                commitment_id = self._commitments.reserve(
                    uow,
                    share.investor_id,
                    listing_id,
                    amount,
                    net_worth[share.investor_id],
                    keep=terms.reserve,
                    borrower_share=terms.borrower_share,
                )
                uow.conn.execute(
                    insert(market_autoinvest_investment).values(
                        investor_id=share.investor_id,
                        id=commitment_id,
                        listing_id=listing_id,
                        rule_id=share.rule_id,
                        currency=row.currency,
                        amount_minor=share.amount,
                        turns=share.turns,
                        first_turn=share.first_turn,
                        last_turn=share.last_turn,
                        created_at=now,
                    )
                )
                self._served(uow, share.investor_id, share.last_turn, share.investor_id in last_turns)
            if waits_for_reflection(self._market.investors):
                completes = False  # MK-4: a filled listing waits for end-of-day, past every reflection period
            loan_id = self._funding.originate(uow, listing_id) if completes else None
            uow.commit()
        return PassReport(listing_id, tuple(turns), loan_id)

    # -- what the pass reads -------------------------------------------------------------------------

    def _below_warning(self, uow: UnitOfWork, investor_id: str, listing_id: str, room: int) -> int:
        """MK-4: auto-invest never acknowledges the large-investment warning, so it stays at or below its limit."""
        limit = warning_limit(uow, self._market.investors, investor_id)
        if limit is None:
            return room
        return max(0, min(room, limit - in_listing(uow, investor_id, listing_id)))

    def _any_rule(self, uow: UnitOfWork) -> bool:
        found = uow.conn.execute(
            select(market_autoinvest_rule.c.id).where(market_autoinvest_rule.c.enabled.is_(True)).limit(1)
        ).first()
        return found is not None

    def _matching(self, uow: UnitOfWork, listing: Any) -> dict[str, Rule]:
        """Each investor's first enabled rule that takes the listing (SQL's cut by rate, then `first_match`)."""
        c = market_autoinvest_rule.c
        ecsp = self._market.investors.ecsp
        rows = uow.conn.execute(
            select(market_autoinvest_rule)
            .join(market_investor, market_investor.c.investor_id == c.investor_id)
            .where(
                c.enabled.is_(True),
                c.currency == listing.currency,
                c.min_rate_e6 <= listing.rate_e6,
                c.max_rate_e6 >= listing.rate_e6,
                # MK-4: only investors who passed the entry test
                market_investor.c.ecsp_test_passed_at.is_not(None) if ecsp else true(),
            )
            .order_by(c.investor_id, c.id)
        ).all()
        rules = [rule_of(r) for r in rows]
        return first_match(rules, listing.grade, listing.term_months, listing.nominal_rate, listing.currency)

    def _may_invest(self, investor_id: str, borrower_id: str) -> bool:
        if self._market.investors.verified_required and not self._identity.verified(investor_id):
            return False
        return not self._identity.same_person(investor_id, borrower_id)

    def _standings(
        self, uow: UnitOfWork, investors: list[str], borrower_id: str
    ) -> tuple[dict[str, Standing], dict[str, Money | None]]:
        """Each investor's cash, commitments, notes and what they hold with this borrower, read under the locks."""
        conn = uow.conn
        wallets = {
            r.investor_id: r
            for r in conn.execute(select(market_wallet).where(market_wallet.c.investor_id.in_(investors)))
        }
        worth = {
            r.investor_id: r.net_worth_minor
            for r in conn.execute(
                select(market_investor.c.investor_id, market_investor.c.net_worth_minor).where(
                    market_investor.c.investor_id.in_(investors)
                )
            )
        }
        held = positions()  # outstanding principal as it is now, derived from the loans' cumulative rows
        outstanding = _sums(
            conn,
            select(held.c.holder_id, func.sum(held.c.outstanding_minor))
            .where(held.c.holder_id.in_(investors))
            .group_by(held.c.holder_id),
        )
        of_borrower = select(market_listing.c.id).where(market_listing.c.borrower_id == borrower_id)
        in_notes = _sums(
            conn,
            select(held.c.holder_id, func.sum(held.c.outstanding_minor))
            .where(held.c.holder_id.in_(investors), held.c.listing_id.in_(of_borrower))
            .group_by(held.c.holder_id),
        )
        in_commitments = _sums(
            conn,
            select(market_commitment.c.investor_id, func.sum(market_commitment.c.amount_minor))
            .where(
                market_commitment.c.investor_id.in_(investors),
                market_commitment.c.status == CommitmentStatus.RESERVED.value,
                market_commitment.c.listing_id.in_(of_borrower),
            )
            .group_by(market_commitment.c.investor_id),
        )
        currency = self._profile.currency
        rules = self._market.investors
        standings: dict[str, Standing] = {}
        net_worth: dict[str, Money | None] = {}
        for investor_id in investors:
            wallet = wallets.get(investor_id)
            if wallet is None:
                continue  # no wallet, no cash: no seat
            worth_minor = worth.get(investor_id)
            net_worth[investor_id] = None if worth_minor is None else Money(worth_minor, currency)
            notes = outstanding.get(investor_id, 0)
            suitability = suitability_headroom(
                net_worth[investor_id], rules.suitability_share, Money(wallet.committed_minor + notes, currency)
            )
            standings[investor_id] = Standing(
                cash=wallet.cash_minor,
                committed=wallet.committed_minor,
                outstanding=notes,
                in_borrower=in_notes.get(investor_id, 0) + in_commitments.get(investor_id, 0),
                suitability=None if suitability is None else suitability.minor,
            )
        return standings, net_worth

    def _last_turns(self, uow: UnitOfWork, investors: list[str]) -> dict[str, int]:
        return {
            r.investor_id: int(r.last_turn)
            for r in uow.conn.execute(
                select(market_autoinvest_cursor.c.investor_id, market_autoinvest_cursor.c.last_turn).where(
                    market_autoinvest_cursor.c.investor_id.in_(investors)
                )
            )
        }

    def _next_turn(self, uow: UnitOfWork) -> int:
        last = uow.conn.execute(select(func.max(market_autoinvest_cursor.c.last_turn))).scalar()
        return int(last or 0) + 1

    def _served(self, uow: UnitOfWork, investor_id: str, last_turn: int, known: bool) -> None:
        now = uow.clock.now()
        if known:
            uow.conn.execute(
                update(market_autoinvest_cursor)
                .where(market_autoinvest_cursor.c.investor_id == investor_id)
                .values(last_turn=last_turn, served_at=now)
            )
        else:
            uow.conn.execute(
                insert(market_autoinvest_cursor).values(investor_id=investor_id, last_turn=last_turn, served_at=now)
            )


def _sums(conn: Any, query: Any) -> dict[str, int]:
    return {key: int(total or 0) for key, total in conn.execute(query)}
