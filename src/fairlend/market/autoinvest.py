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
it goes through the same two conditional guards as a manual investment: the
listing grows by the pass's total (`Commitments.grow`), every wallet by its
share with its rule's cash reserve in one UPDATE (`Commitments.reserve_many`),
and the other limits are checked again after the writes
(`autoinvest_reads.recheck`). Every fact is read for all seats at once, so a
pass costs the same few statements whether it serves one rule or hundreds.
An allocation that completes the listing originates the loan in the same
transaction, exactly as a manual investment that completes it does.

Identity's facts (verified, the investor's own loan) are asked for all
seats in two calls before the transaction opens, as a manual investment asks
its own: no other context is called
while the pass holds the rotation, the listing and the wallets.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, insert, select, true, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import DomainError
from fairlend.jurisdiction.model import Profile
from fairlend.market import autoinvest_reads as reads
from fairlend.market.autoinvest_model import (
    Allocation,
    PassReport,
    Rule,
    Seat,
    SweepReport,
    allocations,
    first_match,
    headroom,
    rotation,
)
from fairlend.market.autoinvest_rules import AutoInvestRules, rule_of
from fairlend.market.commitment import Commitments, Reservation
from fairlend.market.funding import Funding
from fairlend.market.listing import listing_row
from fairlend.market.model import ListingStatus
from fairlend.market.ports import InvestorIdentity
from fairlend.market.safeguards import waits_for_reflection
from fairlend.market.tables import (
    market_autoinvest_cursor,
    market_autoinvest_investment,
    market_autoinvest_rule,
    market_investor,
    market_listing,
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
        seated = {i: chosen[i] for i in sorted(self._may_invest(list(chosen), row.borrower_id))}
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
        rules, currency = self._market.investors, self._profile.currency
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
            # Every fact the rotation needs, for all seats at once, read under the locks (autoinvest_reads.py).
            before = reads.standings(uow, rules, currency, investors, row.borrower_id)
            last_turns = reads.last_turns(uow, investors)
            limits = reads.warning_limits(uow, rules, investors)
            held_here = reads.in_listing(uow, investors, listing_id) if rules.ecsp else {}
            seats = [
                Seat(
                    i,
                    seated[i].id,
                    seated[i].terms.amount.minor,
                    below_warning(headroom(seated[i].terms, s), limits[i], held_here.get(i, 0)),
                    last_turns.get(i, 0),
                )
                for i, s in before.of.items()
            ]
            turns = rotation(
                seats, row.amount_minor - row.funded_minor, self._market.note_minimum_minor, reads.next_turn(uow)
            )
            if not turns:
                return PassReport(listing_id)
            shares = allocations(turns)
            completes = self._commitments.grow(uow, listing_id, Money(sum(a.amount for a in shares), row.currency))
            ids = self._commitments.reserve_many(
                uow,
                listing_id,
                [
                    Reservation(a.investor_id, Money(a.amount, row.currency), seated[a.investor_id].terms.reserve)
                    for a in shares
                ],
            )
            reads.recheck(
                uow,
                rules,
                currency,
                row,
                [reads.Share(a.investor_id, a.amount, seated[a.investor_id].terms.borrower_share) for a in shares],
                before,
            )
            self._record(uow, row, shares, ids, last_turns)
            if waits_for_reflection(rules):
                completes = False  # MK-4: a filled listing waits for end-of-day, past every reflection period
            loan_id = self._funding.originate(uow, listing_id) if completes else None
            uow.commit()
        return PassReport(listing_id, tuple(turns), loan_id)

    def _record(
        self, uow: UnitOfWork, row: Any, shares: list[Allocation], ids: list[str], last_turns: dict[str, int]
    ) -> None:
        """What auto-invest did (one row per investor) and each served investor's cursor: three statements."""
        now = uow.clock.now()
        uow.conn.execute(
            insert(market_autoinvest_investment),
            [
                {
                    "investor_id": a.investor_id,
                    "id": commitment_id,
                    "listing_id": row.id,
                    "rule_id": a.rule_id,
                    "currency": row.currency,
                    "amount_minor": a.amount,
                    "turns": a.turns,
                    "first_turn": a.first_turn,
                    "last_turn": a.last_turn,
                    "created_at": now,
                }
                for a, commitment_id in zip(shares, ids, strict=True)
            ],
        )
        cursor = market_autoinvest_cursor.c
        known = [{"who": a.investor_id, "turn": a.last_turn} for a in shares if a.investor_id in last_turns]
        new = [
            {"investor_id": a.investor_id, "last_turn": a.last_turn, "served_at": now}
            for a in shares
            if a.investor_id not in last_turns
        ]
        if known:
            uow.conn.execute(
                update(market_autoinvest_cursor)
                .where(cursor.investor_id == bindparam("who"))
                .values(last_turn=bindparam("turn"), served_at=now),
                known,
            )
        if new:
            uow.conn.execute(insert(market_autoinvest_cursor), new)

    # -- what the pass reads -------------------------------------------------------------------------

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

    def _may_invest(self, investors: list[str], borrower_id: str) -> frozenset[str]:
        """The investors who may invest in this borrower's listing: verified (MK-5), not the borrower (own_loan)."""
        allowed = frozenset(investors)
        if allowed and self._market.investors.verified_required:
            allowed = self._identity.verified_among(allowed)
        return allowed - self._identity.same_person_among(borrower_id, allowed)


def below_warning(room: int, limit: int | None, held: int) -> int:
    """MK-4: auto-invest never acknowledges the large-investment warning, so it stays at or below its limit."""
    return room if limit is None else max(0, min(room, limit - held))
