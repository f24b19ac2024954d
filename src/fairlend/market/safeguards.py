"""The ECSP safeguards (MK-4) over the database: the entry test, the large-investment warning, revocation.

Each is on only when the profile's `marketplace.investors.ecsp` is (a profile
switch, RULES.md "Marketplace"); the rules themselves are pure (ecsp.py).

- The entry test and the loss-bearing simulation are stored on the investor
  (`market_investor.ecsp_*`); investing by hand or by auto-invest needs a
  passed test (`entry_test_required`, Forbidden).
- The large-investment warning is checked under the wallet's row lock (in
  `Commitments.reserve`), so two investments by one investor at once cannot
  both slip under the limit.
- Revocation inside the reflection period takes the listing's row first and
  the wallet's second (the one lock order for cash, commitment.py), each
  through a conditional UPDATE: it either releases the whole commitment (the
  listing's funded amount and the wallet's committed cash) or writes nothing.
  A listing filled while a commitment is still reflecting stays open; the
  end-of-day deadline step originates it once every commitment's period has
  passed (funding.py), and a revocation reopens it meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound, PolicyViolation
from fairlend.jurisdiction.model import InvestorRules, Profile
from fairlend.market.ecsp import (
    PASS_MARK,
    QUESTIONS,
    large_investment_limit,
    mark,
    may_revoke,
    needs_warning,
    reflecting_since,
    simulate_loss,
)
from fairlend.market.model import CommitmentStatus, ListingStatus, check_amount
from fairlend.market.tables import market_commitment, market_investor, market_listing, market_wallet
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class EntryTestView:
    investor_id: str
    score: int
    passed: bool
    wrong: tuple[str, ...]
    net_worth: Money
    loss_capacity: Money


class Safeguards:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile) -> None:
        self._uow = uow
        self._profile = profile
        self._rules = profile.marketplace.investors

    @property
    def on(self) -> bool:
        return self._rules.ecsp

    def take_entry_test(
        self,
        investor_id: str,
        answers: Mapping[str, str],
        *,
        yearly_income: Money,
        liquid_assets: Money,
        yearly_commitments: Money,
    ) -> EntryTestView:
        """Mark the test and run the simulation; both stored on the investor (a failed test clears a pass)."""
        currency = self._profile.currency
        for amount in (yearly_income, liquid_assets, yearly_commitments):
            if amount.minor:  # zero is a true answer here (no income, no savings, no commitments)
                check_amount(amount, currency, 0)
            elif amount.currency != currency:
                raise Invalid("wrong_currency", f"amounts are in {currency}")
        result = mark(answers)
        simulation = simulate_loss(yearly_income.minor, liquid_assets.minor, yearly_commitments.minor)
        with self._uow() as uow:
            changed = uow.conn.execute(
                update(market_investor)
                .where(market_investor.c.investor_id == investor_id)
                .values(
                    ecsp_test_score=result.score,
                    ecsp_test_passed_at=uow.clock.now() if result.passed else None,
                    ecsp_net_worth_minor=simulation.net_worth_minor,
                    ecsp_loss_capacity_minor=simulation.capacity_minor,
                )
            ).rowcount
            if changed != 1:
                raise Conflict(
                    "investor_agreement_required", "accept the investor agreement before using the marketplace"
                )
            uow.commit()
        return EntryTestView(
            investor_id,
            result.score,
            result.passed,
            result.wrong,
            Money(simulation.net_worth_minor, currency),
            Money(simulation.capacity_minor, currency),
        )

    def entry_test(self, investor_id: str) -> EntryTestView | None:
        """The investor's stored result, or None before the first attempt."""
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(select(market_investor).where(market_investor.c.investor_id == investor_id)).first()
        if row is None or row.ecsp_test_score is None:
            return None
        currency = row.currency
        return EntryTestView(
            investor_id,
            int(row.ecsp_test_score),
            row.ecsp_test_passed_at is not None,
            (),
            Money(int(row.ecsp_net_worth_minor or 0), currency),
            Money(int(row.ecsp_loss_capacity_minor or 0), currency),
        )

    # -- revocation (art. 22) ------------------------------------------------------------------------

    def revoke(self, investor_id: str, commitment_id: str) -> None:
        """Withdraw a reserved commitment inside its reflection period: all of it released, or nothing written."""
        rules = self._rules
        with self._uow() as uow:
            found = uow.conn.execute(
                select(market_commitment).where(
                    market_commitment.c.investor_id == investor_id, market_commitment.c.id == commitment_id
                )
            ).first()
            if found is None:
                raise NotFound("commitment_not_found", "no such investment of yours")
            if not rules.ecsp or rules.reflection_days <= 0:
                raise PolicyViolation(
                    "no_reflection_period",
                    "investments cannot be revoked under this jurisdiction",
                    rules=[rules.ecsp_rule],
                )
            if found.status != CommitmentStatus.RESERVED.value:
                raise Conflict("commitment_not_revocable", f"this investment is {found.status}; it cannot be revoked")
            if not may_revoke(found.created_at.date(), uow.clock.now().date(), rules.reflection_days):
                raise reflection_over(rules)
            amount = int(found.amount_minor)
            # Listing first (an open listing's funded amount shrinks by exactly this commitment) ...
            shrunk = uow.conn.execute(
                update(market_listing)
                .where(
                    market_listing.c.id == found.listing_id,
                    market_listing.c.status == ListingStatus.OPEN.value,
                    market_listing.c.funded_minor >= amount,
                )
                .values(funded_minor=market_listing.c.funded_minor - amount)
            ).rowcount
            if shrunk != 1:
                raise Conflict("commitment_not_revocable", "this investment's listing is no longer open")
            # ... then the commitment, only if still reserved (a racing revoke or origination wins once) ...
            revoked = uow.conn.execute(
                update(market_commitment)
                .where(
                    market_commitment.c.investor_id == investor_id,
                    market_commitment.c.id == commitment_id,
                    market_commitment.c.status == CommitmentStatus.RESERVED.value,
                )
                .values(status=CommitmentStatus.REVOKED.value)
            ).rowcount
            if revoked != 1:
                raise Conflict("commitment_not_revocable", "this investment is no longer reserved")
            # ... then the wallet's committed cash.
            released = uow.conn.execute(
                update(market_wallet)
                .where(market_wallet.c.investor_id == investor_id, market_wallet.c.committed_minor >= amount)
                .values(committed_minor=market_wallet.c.committed_minor - amount)
            ).rowcount
            if released != 1:  # the wallet does not hold what the commitment says: write nothing, verify will show it
                raise Conflict("commitment_not_revocable", "this investment's cash is not committed in your wallet")
            uow.commit()


def require_entry_test(rules: InvestorRules, investor: Any) -> None:
    """Under MK-4 an investor invests only after passing the entry knowledge test."""
    if rules.ecsp and investor.ecsp_test_passed_at is None:
        raise Forbidden(
            "entry_test_required",
            f"pass the entry knowledge test ({PASS_MARK} of {len(QUESTIONS)} correct) and the loss simulation "
            f"before investing ({rules.ecsp_rule})",
            rule=rules.ecsp_rule,
        )


def warning_limit(uow: UnitOfWork, rules: InvestorRules, investor_id: str) -> int | None:
    """What one listing may hold of this investor's money without the warning (None: no limit, or MK-4 off)."""
    if not rules.ecsp:
        return None
    worth = uow.conn.execute(
        select(market_investor.c.ecsp_net_worth_minor).where(market_investor.c.investor_id == investor_id)
    ).scalar()
    return large_investment_limit(
        rules.large_investment_minor, rules.large_investment_share, None if worth is None else int(worth)
    )


def in_listing(uow: UnitOfWork, investor_id: str, listing_id: str) -> int:
    """The investor's reserved commitments to one listing (the one just reserved included)."""
    total = uow.conn.execute(
        select(func.coalesce(func.sum(market_commitment.c.amount_minor), 0)).where(
            market_commitment.c.investor_id == investor_id,
            market_commitment.c.listing_id == listing_id,
            market_commitment.c.status == CommitmentStatus.RESERVED.value,
        )
    ).scalar()
    return int(total or 0)


def check_large_investment(
    uow: UnitOfWork, rules: InvestorRules, investor_id: str, listing_id: str, amount: Money, *, acknowledged: bool
) -> None:
    """Art. 21(7), under the wallet's row lock: above the limit in one listing needs the acknowledgement."""
    if acknowledged:
        return
    limit = warning_limit(uow, rules, investor_id)
    total = in_listing(uow, investor_id, listing_id) + amount.minor
    if needs_warning(total, limit):
        raise PolicyViolation(
            "large_investment_warning",
            f"{rules.risk_warning.en}. This brings your investment in this project to {Money(total, amount.currency)}, "
            f"above {Money(limit or 0, amount.currency)}; confirm that you acknowledge the risk to go ahead",
            rules=[rules.ecsp_rule],
            limit=str(Money(limit or 0, amount.currency).to_decimal()),
        )


def reflection_over(rules: InvestorRules) -> PolicyViolation:
    return PolicyViolation(
        "reflection_period_over",
        f"the {rules.reflection_days}-day reflection period for this investment is over; it can no longer be revoked",
        rules=[rules.ecsp_rule],
    )


def reflecting_cutoff(rules: InvestorRules, today: date) -> datetime | None:
    """At the end of `today`: commitments made at or after this instant are still reflecting (None: no period)."""
    if not rules.ecsp or rules.reflection_days <= 0:
        return None
    return datetime.combine(reflecting_since(today, rules.reflection_days), time(), tzinfo=UTC)


def reflecting(uow: UnitOfWork, rules: InvestorRules, listing_id: str, today: date) -> bool:
    """True while any reserved commitment to the listing is inside its reflection period at the end of `today`."""
    cutoff = reflecting_cutoff(rules, today)
    if cutoff is None:
        return False
    found = uow.conn.execute(
        select(market_commitment.c.id)
        .where(
            market_commitment.c.listing_id == listing_id,
            market_commitment.c.status == CommitmentStatus.RESERVED.value,
            market_commitment.c.created_at >= cutoff,
        )
        .limit(1)
    ).first()
    return found is not None


def waits_for_reflection(rules: InvestorRules) -> bool:
    """A filled listing waits for end-of-day (its newest commitment is always inside its period)."""
    return rules.ecsp and rules.reflection_days > 0
