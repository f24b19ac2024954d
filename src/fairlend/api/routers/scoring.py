"""Scoring endpoints: the model's bins and points, a person's score history, what-if."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import Authenticated, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.identity.model import Principal, Role
from fairlend.money import Money
from fairlend.origination.service import OriginationService
from fairlend.scoring.comprehensive import describe_model
from fairlend.scoring.model import CertificateFact, CertificateKind, Change
from fairlend.scoring.service import ScoringService

router = APIRouter(prefix="/scoring", tags=["scoring"])
Borrower = Annotated[Principal, Depends(require_roles(Role.BORROWER))]


class NotAvailable(DomainError):
    status = 503
    title = "Service unavailable"


def scoring_of(container: Container) -> ScoringService:
    if container.scoring is None:
        raise NotAvailable("scoring_not_wired", "scoring is not wired in this deployment")
    return container.scoring


def origination_of(container: Container) -> OriginationService:
    if container.origination is None:
        raise NotAvailable("origination_not_wired", "origination is not wired in this deployment")
    return container.origination


class BinPublic(BaseModel):
    label: str
    points: int
    woe: float


class FeaturePublic(BaseModel):
    feature: str
    direction: str
    weight: float
    iv: float
    bins: list[BinPublic]


class ModelPublic(BaseModel):
    model_version: str
    base_points: int
    woe_convention: str
    features: list[FeaturePublic]


class ScoreRecordPublic(BaseModel):
    id: str
    purpose: str
    score: int
    model_version: str
    as_of: date
    reasons: list[str]


class CertificateCreate(BaseModel):
    kind: CertificateKind
    amount: Amount | None = Field(None, description="monthly income (income kinds) or value, in major units")


class WhatIfCreate(BaseModel):
    pay_revolving: Amount | None = Field(None, ge=0, description="revolving debt paid off, in major units")
    repay_overdue: bool = False
    verify_phone: bool = False
    verify_identity: bool = False
    verify_bank_card: bool = False
    add_certificate: CertificateCreate | None = None
    extra_hard_inquiries: int = Field(0, ge=0, le=20)
    as_of: date | None = Field(None, description="score the profile as it will be on this date")
    stated_monthly_income: Amount | None = Field(None, gt=0)
    amount: Amount | None = Field(None, gt=0, description="score as an application for this amount")


class ReasonPublic(BaseModel):
    feature: str
    text: str
    points: int
    best_points: int


class WhatIfPublic(BaseModel):
    score_before: int
    score_after: int
    delta: int
    reasons_after: list[ReasonPublic]
    recorded: bool = False


@router.get("/model", response_model=ModelPublic)
def model(container: ContainerDep, principal: Authenticated) -> ModelPublic:
    card = scoring_of(container).scorer.model
    return ModelPublic(
        model_version=scoring_of(container).scorer.version,
        base_points=card.base_points,
        woe_convention=str(card.metadata.get("woe_convention", "")),
        features=[FeaturePublic(**f) for f in describe_model(card)],
    )


@router.get("/history", response_model=list[ScoreRecordPublic])
def history(container: ContainerDep, principal: Borrower) -> list[ScoreRecordPublic]:
    return [
        ScoreRecordPublic(
            id=r.id, purpose=r.purpose, score=r.score, model_version=r.model_version, as_of=r.as_of, reasons=r.reasons
        )
        for r in scoring_of(container).history(principal.subject_id)
    ]


@router.post("/what-if", response_model=WhatIfPublic)
def what_if(
    body: WhatIfCreate, container: ContainerDep, principal: Borrower, key: IdempotencyKey = None
) -> WhatIfPublic:
    currency = container.profile.currency

    def money(value: Decimal | None) -> Money | None:
        return None if value is None else Money.of(value, currency)

    today = container.clock.business_date()
    change = Change(
        pay_revolving=money(body.pay_revolving),
        repay_overdue=body.repay_overdue,
        verify_phone=body.verify_phone,
        verify_identity=body.verify_identity,
        verify_bank_card=body.verify_bank_card,
        add_certificate=CertificateFact(body.add_certificate.kind, money(body.add_certificate.amount), today)
        if body.add_certificate
        else None,
        extra_hard_inquiries=body.extra_hard_inquiries,
        as_of=body.as_of,
    )
    result = origination_of(container).what_if(
        principal.subject_id, change, money(body.stated_monthly_income), money(body.amount)
    )
    return WhatIfPublic(
        score_before=result.before.score,
        score_after=result.after.score,
        delta=result.delta,
        reasons_after=[ReasonPublic(**_reason(r)) for r in result.after.reasons],
    )


def _reason(r: Any) -> dict[str, Any]:
    return {"feature": r.feature, "text": r.text, "points": r.points, "best_points": r.best_points}
