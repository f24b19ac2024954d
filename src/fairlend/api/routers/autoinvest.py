"""Auto-invest over HTTP: an investor's rules (list, create, change, delete), what they invested; the operator's sweep.

Rules are the investor's own (another investor's rule is 404, never 403).
Every write takes an Idempotency-Key, as the market's other writes do: a rule
decides where money goes. A rule is checked whole before anything is
written; each refusal is a problem with its own code (docs/market.md,
"Auto-invest"). Amounts are decimal strings in major units, rates and the
per-borrower share are fractions ("0.12" is 12 %).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.routers.lending_models import MoneyPublic
from fairlend.identity.model import Principal, Role
from fairlend.market.autoinvest_model import MAX_RULES_PER_INVESTOR, AutoInvestmentView, Rule, RuleTerms
from fairlend.money import Money

router = APIRouter(prefix="/market/autoinvest", tags=["market"])

Investor = Annotated[Principal, Depends(require_roles(Role.INVESTOR))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


class AutoInvestRuleCreate(BaseModel):
    """A whole rule: creating one, or replacing one's terms (PUT)."""

    enabled: bool = Field(default=True, description="off: the rule is kept but invests nothing")
    grades: list[str] = Field(max_length=40, description="letters (A = A1…A5) or sub-grades (B3)")
    terms: list[int] = Field(max_length=24, description="loan terms in months")
    min_rate: Decimal = Field(description="lowest nominal yearly rate taken, 0.08 = 8 %")
    max_rate: Decimal = Field(description="highest nominal yearly rate taken")
    amount_per_note: Amount = Field(description="invested per turn, major units; a multiple of the note size")
    max_borrower_share: Decimal = Field(
        description="at most this share of the portfolio (cash and notes) with one borrower, more than 0, at most 1"
    )
    cash_reserve: Amount = Field(default=Decimal(0), description="cash auto-invest never touches, major units")

    def terms_in(self, currency: str) -> RuleTerms:
        return RuleTerms(
            grades=tuple(self.grades),
            terms=tuple(self.terms),
            min_rate=self.min_rate,
            max_rate=self.max_rate,
            amount=Money.of(self.amount_per_note, currency),
            borrower_share=self.max_borrower_share,
            reserve=Money.of(self.cash_reserve, currency),
            enabled=self.enabled,
        )


class AutoInvestRulePublic(BaseModel):
    id: str
    enabled: bool
    grades: list[str]
    terms: list[int]
    min_rate: Decimal
    max_rate: Decimal
    amount_per_note: MoneyPublic
    max_borrower_share: Decimal
    cash_reserve: MoneyPublic
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: Rule) -> AutoInvestRulePublic:
        t = rule.terms
        return cls(
            id=rule.id,
            enabled=t.enabled,
            grades=list(t.grades),
            terms=list(t.terms),
            min_rate=t.min_rate,
            max_rate=t.max_rate,
            amount_per_note=MoneyPublic.of(t.amount),
            max_borrower_share=t.borrower_share,
            cash_reserve=MoneyPublic.of(t.reserve),
            created_at=rule.created_at,
            updated_at=rule.updated_at,
        )


class AutoInvestmentPublic(BaseModel):
    id: str  # the commitment auto-invest made (GET /market/investments shows it too)
    listing_id: str
    rule_id: str
    amount: MoneyPublic
    turns: int
    created_at: datetime

    @classmethod
    def of(cls, made: AutoInvestmentView) -> AutoInvestmentPublic:
        return cls(
            id=made.id,
            listing_id=made.listing_id,
            rule_id=made.rule_id,
            amount=MoneyPublic.of(made.amount),
            turns=made.turns,
            created_at=made.created_at,
        )


class SweepPublic(BaseModel):
    listings: int
    turns: int
    funded: int
    refused: list[str]


@router.get("/rules", response_model=list[AutoInvestRulePublic])
def rules(container: ContainerDep, principal: Investor) -> list[AutoInvestRulePublic]:
    """The investor's rules, oldest first: at a listing, the first that matches takes the investor's turn."""
    return [AutoInvestRulePublic.of(r) for r in container.market.autoinvest.rules.of_investor(principal.subject_id)]


@router.post(
    "/rules",
    response_model=AutoInvestRulePublic,
    status_code=status.HTTP_201_CREATED,
    description=f"At most {MAX_RULES_PER_INVESTOR} rules an investor (`autoinvest_rules_limit`).",
)
def create(
    body: AutoInvestRuleCreate, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> AutoInvestRulePublic:
    require_key(idempotency_key)
    made = container.market.autoinvest.rules.create(principal.subject_id, body.terms_in(container.profile.currency))
    return AutoInvestRulePublic.of(made)


@router.get("/rules/{rule_id}", response_model=AutoInvestRulePublic)
def rule(rule_id: str, container: ContainerDep, principal: Investor) -> AutoInvestRulePublic:
    return AutoInvestRulePublic.of(container.market.autoinvest.rules.get(principal.subject_id, rule_id))


@router.put("/rules/{rule_id}", response_model=AutoInvestRulePublic)
def replace(
    rule_id: str,
    body: AutoInvestRuleCreate,
    container: ContainerDep,
    principal: Investor,
    idempotency_key: IdempotencyKey = None,
) -> AutoInvestRulePublic:
    """Replace the rule's terms (switch it off with `enabled: false`); it keeps its id and its place."""
    require_key(idempotency_key)
    changed = container.market.autoinvest.rules.update(
        principal.subject_id, rule_id, body.terms_in(container.profile.currency)
    )
    return AutoInvestRulePublic.of(changed)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete(rule_id: str, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None) -> None:
    """The rule goes; what it invested stays."""
    require_key(idempotency_key)
    container.market.autoinvest.rules.delete(principal.subject_id, rule_id)


@router.get("/investments", response_model=list[AutoInvestmentPublic])
def investments(
    container: ContainerDep, principal: Investor, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[AutoInvestmentPublic]:
    """What auto-invest put into listings for the investor, newest first."""
    made = container.market.autoinvest.rules.investments(principal.subject_id, limit)
    return [AutoInvestmentPublic.of(m) for m in made]


@router.post("/run", response_model=SweepPublic)
def run(container: ContainerDep, principal: Admin, idempotency_key: IdempotencyKey = None) -> SweepPublic:
    """Serve every open listing's matching rules now (end-of-day does it too, after the day closes)."""
    report = container.market.autoinvest.sweep()
    return SweepPublic(
        listings=len(report.passes),
        turns=report.turns,
        funded=report.funded,
        refused=[p.listing_id for p in report.passes if p.refused],
    )
