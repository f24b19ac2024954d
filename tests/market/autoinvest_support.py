"""Auto-invest rules for tests: a rule that takes the fake solid borrower's listings (grade A, 12 months)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from fairlend.market.autoinvest_model import PassReport, Rule, RuleTerms
from tests.market.support import Market, yuan


def rule_terms(amount: int = 200, **changes: object) -> RuleTerms:
    base = RuleTerms(
        grades=("A",),
        terms=(12,),
        min_rate=Decimal(0),
        max_rate=Decimal("0.24"),
        amount=yuan(amount),
        borrower_share=Decimal(1),
        reserve=yuan(0),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def auto_investor(world: Market, investor_id: str, cash: int, amount: int = 200, **changes: object) -> Rule:
    world.investor(investor_id, cash=cash)
    return world.market.autoinvest.rules.create(investor_id, rule_terms(amount, **changes))


def served(report: PassReport) -> list[tuple[int, str, int]]:
    """A pass's turns as (number, investor, amount in yuan)."""
    return [(t.number, t.investor_id, t.amount // 100) for t in report.turns]


def turns_at(world: Market, listing_id: str) -> list[tuple[str, int]]:
    """What auto-invest committed at a listing, per investor (yuan), from the investors' own records."""
    found = []
    for investor_id in sorted(world.people.verified_ids):
        for made in world.market.autoinvest.rules.investments(investor_id):
            if made.listing_id == listing_id:
                found.append((investor_id, made.amount.minor // 100))
    return found


def record_passes(world: Market) -> list[PassReport]:
    """Keep each pass a new listing gets (the real one, `serve`) instead of discarding its report."""
    reports: list[PassReport] = []
    world.market.funding.when_listed[:] = [lambda listing_id: reports.append(world.market.autoinvest.serve(listing_id))]
    return reports
