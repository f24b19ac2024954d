"""Auto-invest rules: an investor writes, changes, switches off and deletes their own.

An investor may keep up to `MAX_RULES_PER_INVESTOR` rules; at a listing, their
first matching rule (the oldest) takes their turn (autoinvest_model.py). A
rule is checked whole before anything is written (`checked`: each refusal
has its own stable code), and only an investor who may move money now
(retail on, agreement accepted, identity verified where required) may write
one. Another investor's rule is not found, never forbidden: ids say nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.market.autoinvest_model import (
    MAX_RULES_PER_INVESTOR,
    AutoInvestmentView,
    Rule,
    RuleTerms,
    checked,
)
from fairlend.market.tables import market_autoinvest_investment, market_autoinvest_rule, market_wallet
from fairlend.market.wallet import Wallets
from fairlend.money import Money


def rate_e6(rate: Decimal) -> int:
    """A rate in millionths, truncated (as listings store theirs)."""
    return int(rate * 1_000_000)


def _plain(value: Decimal) -> Decimal:
    """A stored rate as written, without the trailing zeros PostgreSQL's NUMERIC scale adds: 0.5, not 0.5000000000."""
    plain = value.normalize()
    return plain.quantize(Decimal(1)) if plain.as_tuple().exponent > 0 else plain  # type: ignore[operator]


def rule_of(row: Any) -> Rule:
    return Rule(
        id=row.id,
        investor_id=row.investor_id,
        terms=RuleTerms(
            grades=tuple(row.grades),
            terms=tuple(int(t) for t in row.terms),
            min_rate=_plain(row.min_rate),
            max_rate=_plain(row.max_rate),
            amount=Money(row.amount_minor, row.currency),
            borrower_share=_plain(row.borrower_share),
            reserve=Money(row.reserve_minor, row.currency),
            enabled=bool(row.enabled),
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(terms: RuleTerms) -> dict[str, Any]:
    return {
        "enabled": terms.enabled,
        "grades": list(terms.grades),
        "terms": list(terms.terms),
        "min_rate": terms.min_rate,
        "max_rate": terms.max_rate,
        # Millionths for SQL's first cut, widened outwards: Python's `matches` has the exact last word.
        "min_rate_e6": rate_e6(terms.min_rate),
        "max_rate_e6": -rate_e6(-terms.max_rate),
        "currency": terms.amount.currency,
        "amount_minor": terms.amount.minor,
        "borrower_share": terms.borrower_share,
        "reserve_minor": terms.reserve.minor,
    }


class AutoInvestRules:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile, wallets: Wallets) -> None:
        self._uow = uow
        self._currency = profile.currency
        self._market = profile.marketplace
        self._wallets = wallets

    def _checked(self, terms: RuleTerms) -> RuleTerms:
        return checked(terms, self._currency, self._market.note_minimum_minor)

    def _ready(self, investor_id: str) -> None:
        with self._uow(read_only=True) as uow:
            self._wallets.ready(uow, investor_id)

    def of_investor(self, investor_id: str) -> list[Rule]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(market_autoinvest_rule)
                .where(market_autoinvest_rule.c.investor_id == investor_id)
                .order_by(market_autoinvest_rule.c.id)
            ).all()
        return [rule_of(r) for r in rows]

    def get(self, investor_id: str, rule_id: str) -> Rule:
        with self._uow(read_only=True) as uow:
            return rule_of(self._row(uow, investor_id, rule_id))

    def create(self, investor_id: str, terms: RuleTerms) -> Rule:
        """A new rule, checked whole; refused past `MAX_RULES_PER_INVESTOR` (`autoinvest_rules_limit`)."""
        terms = self._checked(terms)
        self._ready(investor_id)
        rule_id = new_id("air")
        with self._uow() as uow:
            # The wallet's row lock: two creates at once cannot both pass the count.
            uow.conn.execute(
                select(market_wallet.c.investor_id).where(market_wallet.c.investor_id == investor_id).with_for_update()
            ).all()
            count = uow.conn.execute(
                select(func.count())
                .select_from(market_autoinvest_rule)
                .where(market_autoinvest_rule.c.investor_id == investor_id)
            ).scalar()
            if int(count or 0) >= MAX_RULES_PER_INVESTOR:
                raise Conflict(
                    "autoinvest_rules_limit",
                    f"an investor keeps at most {MAX_RULES_PER_INVESTOR} auto-invest rules; change or delete one",
                )
            now = uow.clock.now()
            uow.conn.execute(
                insert(market_autoinvest_rule).values(
                    investor_id=investor_id, id=rule_id, created_at=now, updated_at=now, **_values(terms)
                )
            )
            uow.commit()
        return self.get(investor_id, rule_id)

    def update(self, investor_id: str, rule_id: str, terms: RuleTerms) -> Rule:
        """Replace a rule's terms (switching it on or off included); its place among the investor's rules stays."""
        terms = self._checked(terms)
        self._ready(investor_id)
        with self._uow() as uow:
            self._row(uow, investor_id, rule_id)
            uow.conn.execute(
                update(market_autoinvest_rule)
                .where(market_autoinvest_rule.c.investor_id == investor_id, market_autoinvest_rule.c.id == rule_id)
                .values(updated_at=uow.clock.now(), **_values(terms))
            )
            uow.commit()
        return self.get(investor_id, rule_id)

    def delete(self, investor_id: str, rule_id: str) -> None:
        """The rule goes; what it invested stays (commitments, notes, and the record of its turns)."""
        with self._uow() as uow:
            self._row(uow, investor_id, rule_id)
            uow.conn.execute(
                delete(market_autoinvest_rule).where(
                    market_autoinvest_rule.c.investor_id == investor_id, market_autoinvest_rule.c.id == rule_id
                )
            )
            uow.commit()

    def _row(self, uow: UnitOfWork, investor_id: str, rule_id: str) -> Any:
        row = uow.conn.execute(
            select(market_autoinvest_rule).where(
                market_autoinvest_rule.c.investor_id == investor_id, market_autoinvest_rule.c.id == rule_id
            )
        ).first()
        if row is None:
            raise NotFound("autoinvest_rule_not_found", f"you have no auto-invest rule {rule_id}")
        return row

    def investments(self, investor_id: str, limit: int = 50) -> list[AutoInvestmentView]:
        """What auto-invest put into listings for the investor, newest first."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(market_autoinvest_investment)
                .where(market_autoinvest_investment.c.investor_id == investor_id)
                .order_by(market_autoinvest_investment.c.first_turn.desc())
                .limit(limit)
            ).all()
        return [
            AutoInvestmentView(r.id, r.listing_id, r.rule_id, Money(r.amount_minor, r.currency), r.turns, r.created_at)
            for r in rows
        ]
