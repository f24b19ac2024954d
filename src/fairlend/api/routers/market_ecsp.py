"""MK-4 (ECSP) over HTTP: the entry knowledge test with the loss-bearing simulation, and revoking an investment.

On only where the profile switches `marketplace.investors.ecsp` on; the
questions are ids (their wording: docs/market.md "ECSP safeguards (MK-4)" and
the portal). The large-investment warning answers an investment with the
problem `large_investment_warning`; the investor repeats it with
`acknowledged_risk: true` (routers/market.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.routers.lending_models import MoneyPublic
from fairlend.identity.model import Principal, Role
from fairlend.market.ecsp import PASS_MARK, QUESTIONS
from fairlend.market.safeguards import EntryTestView
from fairlend.money import Money

router = APIRouter(prefix="/market", tags=["market"])

Investor = Annotated[Principal, Depends(require_roles(Role.INVESTOR))]


class QuestionPublic(BaseModel):
    id: str
    options: list[str]


class EntryTestCreate(BaseModel):
    answers: dict[str, str] = Field(max_length=20, description="question id -> option id")
    yearly_income: Amount = Field(description="yearly income, major units")
    liquid_assets: Amount = Field(description="cash, deposits and listed securities, major units")
    yearly_commitments: Amount = Field(description="yearly financial commitments (rent, loans), major units")


class EntryTestPublic(BaseModel):
    score: int
    passed: bool
    wrong: list[str]
    net_worth: MoneyPublic
    loss_capacity: MoneyPublic = Field(description="10 % of net worth (Delegated Regulation 2022/2114 art. 4)")

    @classmethod
    def of(cls, v: EntryTestView) -> EntryTestPublic:
        return cls(
            score=v.score,
            passed=v.passed,
            wrong=list(v.wrong),
            net_worth=MoneyPublic.of(v.net_worth),
            loss_capacity=MoneyPublic.of(v.loss_capacity),
        )


class EntryTestState(BaseModel):
    required: bool = Field(description="the profile's ECSP safeguards are on")
    pass_mark: int
    questions: list[QuestionPublic]
    result: EntryTestPublic | None


@router.get("/ecsp/entry-test", response_model=EntryTestState)
def entry_test(container: ContainerDep, principal: Investor) -> EntryTestState:
    """The questions, the pass mark and the investor's last result."""
    safeguards = container.market.safeguards
    found = safeguards.entry_test(principal.subject_id)
    return EntryTestState(
        required=safeguards.on,
        pass_mark=PASS_MARK,
        questions=[QuestionPublic(id=q.id, options=list(q.options)) for q in QUESTIONS],
        result=None if found is None else EntryTestPublic.of(found),
    )


@router.post("/ecsp/entry-test", response_model=EntryTestPublic)
def take_entry_test(body: EntryTestCreate, container: ContainerDep, principal: Investor) -> EntryTestPublic:
    """Answer the test and state the simulation's figures; both are stored (a failed test clears a pass)."""
    currency = container.profile.currency
    made = container.market.safeguards.take_entry_test(
        principal.subject_id,
        body.answers,
        yearly_income=Money.of(body.yearly_income, currency),
        liquid_assets=Money.of(body.liquid_assets, currency),
        yearly_commitments=Money.of(body.yearly_commitments, currency),
    )
    return EntryTestPublic.of(made)


@router.post("/investments/{commitment_id}/revoke", status_code=status.HTTP_204_NO_CONTENT)
def revoke(
    commitment_id: str, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> None:
    """Revoke a reserved investment inside its reflection period (MK-4): its cash and the listing released."""
    require_key(idempotency_key)
    container.market.commitments.revoke(principal.subject_id, commitment_id)
