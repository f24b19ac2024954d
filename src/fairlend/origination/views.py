"""What origination's use cases return: plain frozen data for the API, the CLI and the pages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fairlend.codec import decode, encode
from fairlend.money import Money
from fairlend.origination.contract import ContractTerms
from fairlend.origination.model import Installment, Quote
from fairlend.origination.ports import CreditReport
from fairlend.scoring.comprehensive import Assessment, PlanItem
from fairlend.scoring.model import Change


@dataclass(frozen=True, slots=True)
class ScoreView:
    score: int
    as_of: date
    model_version: str
    reasons: tuple[dict[str, Any], ...]  # feature, text, points, best_points, missing
    plan: tuple[dict[str, Any], ...]  # lever, action, points, on_date
    low: int = 0  # the model's range, shown with the score
    high: int = 0
    band: str = ""  # poor … excellent (scoring/comprehensive.py BANDS)


def reasons_json(assessment: Assessment) -> list[dict[str, Any]]:
    return [
        {"feature": r.feature, "text": r.text, "points": r.points, "best_points": r.best_points, "missing": r.missing}
        for r in assessment.reasons
    ]


def change_json(change: Change) -> dict[str, Any]:
    """A plan item's change in the what-if endpoint's own terms, so a client can replay the promise."""
    out: dict[str, Any] = {}
    if change.pay_revolving is not None:
        out["pay_revolving"] = str(change.pay_revolving.to_decimal())
    for flag in ("repay_overdue", "verify_phone", "verify_identity", "verify_bank_card"):
        if getattr(change, flag):
            out[flag] = True
    if change.add_certificate is not None:
        amount = change.add_certificate.amount
        out["add_certificate"] = {
            "kind": change.add_certificate.kind.value,
            "amount": None if amount is None else str(amount.to_decimal()),
        }
    if change.extra_hard_inquiries:
        out["extra_hard_inquiries"] = change.extra_hard_inquiries
    if change.as_of is not None:
        out["as_of"] = change.as_of.isoformat()
    return out


def plan_json(plan: list[PlanItem]) -> list[dict[str, Any]]:
    return [
        {
            "lever": p.lever,
            "action": p.action,
            "params": dict(p.params),
            "points": p.points,
            "on_date": p.on_date.isoformat() if p.on_date else None,
            "what_if": change_json(p.change),
        }
        for p in plan
    ]


def score_view(assessment: Assessment, plan: list[PlanItem]) -> ScoreView:
    return ScoreView(
        score=assessment.score,
        as_of=assessment.as_of,
        model_version=assessment.model_version,
        reasons=tuple(reasons_json(assessment)),
        plan=tuple(plan_json(plan)),
        low=assessment.low,
        high=assessment.high,
        band=assessment.band,
    )


@dataclass(frozen=True, slots=True)
class SelfCheck:
    report: CreditReport
    score: ScoreView
    score_id: str
    fetched_at: datetime | None = None  # when the bureau was asked; the page says it is that day's


def self_check_json(check: SelfCheck) -> str:
    """The day's self-check as JSON, to be sealed and kept (origination/service.py)."""
    return json.dumps(encode(check), ensure_ascii=False)


def self_check_from_json(text: str) -> SelfCheck:
    return decode(SelfCheck, json.loads(text))


@dataclass(frozen=True, slots=True)
class Prequalification:
    score: int
    indicative_decision: str
    grade: str | None
    nominal_rate: Decimal | None
    limit: Money
    amount: Money
    codes: tuple[str, ...]
    limit_reason: str = ""  # origination/model.py limit_reason: why the limit is what it is


@dataclass(frozen=True, slots=True)
class InquiryDisclosure:
    hard_inquiries_last_30_days: int
    points_one_more_costs: int


@dataclass(frozen=True, slots=True)
class AdverseActionNotice:
    """A decline: the principal reasons, what would change them, and the person's rights."""

    reasons: tuple[dict[str, Any], ...]
    plan: tuple[dict[str, Any], ...]
    codes: tuple[str, ...]
    rights: str


@dataclass(frozen=True, slots=True)
class ApplicationView:
    id: str
    borrower_id: str
    status: str
    decision: str
    amount: Money
    term_months: int
    score: int
    grade: str | None
    nominal_rate: Decimal | None
    limit: Money
    codes: tuple[str, ...]
    reasons: tuple[dict[str, Any], ...]
    plan: tuple[dict[str, Any], ...]
    created_at: datetime
    decided_by: str
    offer_id: str | None
    adverse_action: AdverseActionNotice | None
    limit_reason: str = ""  # the rule that set the limit (origination/model.py `limit_reason`); "" before 0005


@dataclass(frozen=True, slots=True)
class OfferView:
    id: str
    application_id: str
    borrower_id: str
    status: str
    grade: str
    quote: Quote
    expires_at: datetime
    contract_id: str | None
    loan_id: str | None
    accepted_at: datetime | None
    listing_id: str | None = None  # the marketplace listing a listed offer waits on


@dataclass(frozen=True, slots=True)
class ContractView:
    offer: OfferView
    terms: ContractTerms
    fingerprint: str | None  # recorded at acceptance; None for a draft
    intact: bool | None  # the recorded fingerprint still matches the terms; None: agreed before versioning


def schedule_json(installments: tuple[Installment, ...]) -> list[dict[str, Any]]:
    return [
        {
            "number": i.number,
            "due_date": i.due_date.isoformat(),
            "principal_minor": i.principal.minor,
            "interest_minor": i.interest.minor,
            "fee_minor": i.fee.minor,
        }
        for i in installments
    ]


def schedule_from_json(rows: list[dict[str, Any]], currency: str) -> tuple[Installment, ...]:
    return tuple(
        Installment(
            number=int(r["number"]),
            due_date=date.fromisoformat(r["due_date"]),
            principal=Money(int(r["principal_minor"]), currency),
            interest=Money(int(r["interest_minor"]), currency),
            fee=Money(int(r["fee_minor"]), currency),
        )
        for r in rows
    )
