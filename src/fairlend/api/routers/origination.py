"""Origination endpoints: self-check, prequalify, inquiry disclosure, apply, offers, accept, underwriting."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.api.routers.scoring import origination_of
from fairlend.identity.model import Principal, Role
from fairlend.money import Money
from fairlend.origination.views import ApplicationView, OfferView, ScoreView, schedule_json

router = APIRouter(prefix="/origination", tags=["origination"])
Borrower = Annotated[Principal, Depends(require_roles(Role.BORROWER))]
Underwriter = Annotated[Principal, Depends(require_roles(Role.UNDERWRITER, Role.ADMIN))]


class MoneyPublic(BaseModel):
    amount: str
    currency: str
    minor: int


def money_public(m: Money) -> MoneyPublic:
    return MoneyPublic(amount=str(m.to_decimal()), currency=m.currency, minor=m.minor)


class ScorePublic(BaseModel):
    score: int
    as_of: date
    model_version: str
    reasons: list[dict[str, Any]]
    plan: list[dict[str, Any]]
    low: int = Field(description="the lowest score the model gives")
    high: int = Field(description="the highest score the model gives")
    band: str = Field(description="poor | fair | good | very_good | excellent: five equal slices of low..high")


def score_public(view: ScoreView) -> ScorePublic:
    return ScorePublic(
        score=view.score,
        as_of=view.as_of,
        model_version=view.model_version,
        reasons=list(view.reasons),
        plan=list(view.plan),
        low=view.low,
        high=view.high,
        band=view.band,
    )


class ReportAccountPublic(BaseModel):
    lender: str
    revolving: bool
    opened_on: date
    balance: MoneyPublic
    credit_limit: MoneyPublic | None


class ReportNegativePublic(BaseModel):
    lender: str
    worst_band: int
    began_on: date
    ended_on: date | None
    overdue_amount: MoneyPublic


class ReportInquiryPublic(BaseModel):
    on: date
    hard: bool
    institution: str
    purpose: str


class SelfCheckPublic(BaseModel):
    report_id: str
    accounts: list[ReportAccountPublic]
    negatives: list[ReportNegativePublic]
    inquiries: list[ReportInquiryPublic]
    score: ScorePublic


class PrequalifyCreate(BaseModel):
    amount: Amount = Field(gt=0, description="in major units of the profile's currency")
    term_months: int = Field(ge=1, le=120)
    stated_monthly_income: Amount | None = Field(None, gt=0)


class PrequalificationPublic(BaseModel):
    score: int
    indicative_decision: str
    grade: str | None
    nominal_rate: Decimal | None
    limit: MoneyPublic
    amount: MoneyPublic
    codes: list[str]
    indicative: bool = True


class InquiryDisclosurePublic(BaseModel):
    hard_inquiries_last_30_days: int
    points_one_more_costs: int


class ApplicationCreate(PrequalifyCreate):
    inquiry_disclosure_acknowledged: bool = Field(
        description="the applicant has read how many hard inquiries they have and what one more costs"
    )


class AdverseActionPublic(BaseModel):
    reasons: list[dict[str, Any]]
    plan: list[dict[str, Any]]
    codes: list[str]
    rights: str


class ApplicationPublic(BaseModel):
    id: str
    status: str
    decision: str
    amount: MoneyPublic
    term_months: int
    score: int
    grade: str | None
    nominal_rate: Decimal | None
    limit: MoneyPublic
    codes: list[str]
    reasons: list[dict[str, Any]]
    created_at: datetime
    decided_by: str
    offer_id: str | None
    adverse_action: AdverseActionPublic | None


class InstallmentPublic(BaseModel):
    number: int
    due_date: date
    principal_minor: int
    interest_minor: int
    fee_minor: int


class OfferPublic(BaseModel):
    id: str
    application_id: str
    status: str
    grade: str
    amount: MoneyPublic
    term_months: int
    nominal_rate: Decimal
    apr: Decimal
    fee: MoneyPublic
    total_interest: MoneyPublic
    total_cost: MoneyPublic
    total_repayable: MoneyPublic
    schedule: list[InstallmentPublic]
    expires_at: datetime
    contract_id: str | None
    loan_id: str | None
    accepted_at: datetime | None


class AcceptCreate(BaseModel):
    agreed: bool = Field(description="the borrower agrees to the contract as shown in the offer")


class UnderwritingCreate(BaseModel):
    approve: bool
    note: str = Field("", max_length=2000)


def application_public(view: ApplicationView) -> ApplicationPublic:
    notice = view.adverse_action
    return ApplicationPublic(
        id=view.id,
        status=view.status,
        decision=view.decision,
        amount=money_public(view.amount),
        term_months=view.term_months,
        score=view.score,
        grade=view.grade,
        nominal_rate=view.nominal_rate,
        limit=money_public(view.limit),
        codes=list(view.codes),
        reasons=list(view.reasons),
        created_at=view.created_at,
        decided_by=view.decided_by,
        offer_id=view.offer_id,
        adverse_action=AdverseActionPublic(
            reasons=list(notice.reasons), plan=list(notice.plan), codes=list(notice.codes), rights=notice.rights
        )
        if notice
        else None,
    )


def offer_public(view: OfferView) -> OfferPublic:
    q = view.quote
    return OfferPublic(
        id=view.id,
        application_id=view.application_id,
        status=view.status,
        grade=view.grade,
        amount=money_public(q.amount),
        term_months=q.term_months,
        nominal_rate=q.nominal_rate,
        apr=q.apr,
        fee=money_public(q.fee),
        total_interest=money_public(q.total_interest),
        total_cost=money_public(q.total_cost),
        total_repayable=money_public(q.total_repayable),
        schedule=[InstallmentPublic(**row) for row in schedule_json(q.installments)],
        expires_at=view.expires_at,
        contract_id=view.contract_id,
        loan_id=view.loan_id,
        accepted_at=view.accepted_at,
    )


def _money(container: Any, value: Decimal | None) -> Money | None:
    return None if value is None else Money.of(value, container.profile.currency)


@router.post("/self-check", response_model=SelfCheckPublic)
def self_check(container: ContainerDep, principal: Borrower, key: IdempotencyKey = None) -> SelfCheckPublic:
    check = origination_of(container).self_check(principal.subject_id)
    r = check.report
    return SelfCheckPublic(
        report_id=r.report_id,
        accounts=[
            ReportAccountPublic(
                lender=a.lender,
                revolving=a.revolving,
                opened_on=a.opened_on,
                balance=money_public(a.balance),
                credit_limit=money_public(a.credit_limit) if a.credit_limit else None,
            )
            for a in r.accounts
        ],
        negatives=[
            ReportNegativePublic(
                lender=n.lender,
                worst_band=n.worst_band,
                began_on=n.began_on,
                ended_on=n.ended_on,
                overdue_amount=money_public(n.overdue_amount),
            )
            for n in r.negatives
        ],
        inquiries=[
            ReportInquiryPublic(on=i.on, hard=i.hard, institution=i.institution, purpose=i.purpose) for i in r.inquiries
        ],
        score=score_public(check.score),
    )


@router.post("/prequalify", response_model=PrequalificationPublic)
def prequalify(
    body: PrequalifyCreate, container: ContainerDep, principal: Borrower, key: IdempotencyKey = None
) -> PrequalificationPublic:
    amount = Money.of(body.amount, container.profile.currency)
    p = origination_of(container).prequalify(
        principal.subject_id, amount, body.term_months, _money(container, body.stated_monthly_income)
    )
    return PrequalificationPublic(
        score=p.score,
        indicative_decision=p.indicative_decision,
        grade=p.grade,
        nominal_rate=p.nominal_rate,
        limit=money_public(p.limit),
        amount=money_public(p.amount),
        codes=list(p.codes),
    )


@router.get("/inquiry-disclosure", response_model=InquiryDisclosurePublic)
def inquiry_disclosure(container: ContainerDep, principal: Borrower) -> InquiryDisclosurePublic:
    d = origination_of(container).inquiry_disclosure(principal.subject_id)
    return InquiryDisclosurePublic(
        hard_inquiries_last_30_days=d.hard_inquiries_last_30_days, points_one_more_costs=d.points_one_more_costs
    )


@router.post("/applications", response_model=ApplicationPublic, status_code=201)
def apply(
    body: ApplicationCreate, container: ContainerDep, principal: Borrower, key: IdempotencyKey = None
) -> ApplicationPublic:
    view = origination_of(container).apply(
        principal.subject_id,
        Money.of(body.amount, container.profile.currency),
        body.term_months,
        inquiry_disclosure_acknowledged=body.inquiry_disclosure_acknowledged,
        stated_monthly_income=_money(container, body.stated_monthly_income),
    )
    return application_public(view)


@router.get("/applications/{application_id}", response_model=ApplicationPublic)
def application(application_id: str, container: ContainerDep, principal: Borrower) -> ApplicationPublic:
    return application_public(origination_of(container).application(principal.subject_id, application_id))


@router.get("/offers/{offer_id}", response_model=OfferPublic)
def offer(offer_id: str, container: ContainerDep, principal: Borrower) -> OfferPublic:
    return offer_public(origination_of(container).offer(principal.subject_id, offer_id))


@router.post("/offers/{offer_id}/accept", response_model=OfferPublic)
def accept(
    offer_id: str, body: AcceptCreate, container: ContainerDep, principal: Borrower, key: IdempotencyKey = None
) -> OfferPublic:
    return offer_public(origination_of(container).accept(principal.subject_id, offer_id, agreed=body.agreed))


@router.get("/underwriting/queue", response_model=list[ApplicationPublic])
def queue(container: ContainerDep, principal: Underwriter) -> list[ApplicationPublic]:
    return [application_public(v) for v in origination_of(container).queue()]


@router.post("/underwriting/{application_id}/decision", response_model=ApplicationPublic)
def underwrite(
    application_id: str,
    body: UnderwritingCreate,
    container: ContainerDep,
    principal: Underwriter,
    key: IdempotencyKey = None,
) -> ApplicationPublic:
    view = origination_of(container).underwrite(
        application_id, principal.subject_id, approve=body.approve, note=body.note
    )
    return application_public(view)
