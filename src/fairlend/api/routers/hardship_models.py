"""Hardship plans over HTTP: the bodies and answers of api/routers/hardship.py.

Amounts are major units as decimal text in the loan's currency in bodies, and
come back with their minor units.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.hardship.deadlines import Flag
from fairlend.hardship.model import DeclineReason, Kind, Outcome, Reason, Terms
from fairlend.hardship.views import EvidenceView, PlanView, ProposalView, QueueItem, RequestView
from fairlend.lending.model import Method
from fairlend.lending.position_model import PlannedInstallment
from fairlend.money import Money

# -- bodies ----------------------------------------------------------------------------------------


class RequestCreate(BaseModel):
    """The borrower's request: a kind and a reason category; no free text, no health details."""

    loan_id: str = Field(max_length=40)
    kind: Kind
    reason: Reason
    monthly_income: Amount | None = Field(default=None, description="optional affordability statement")
    monthly_expenses: Amount | None = None


class TermsCreate(BaseModel):
    """An operator's terms; fields that do not apply to the kind stay out (docs/hardship.md)."""

    kind: Kind
    periods: int = Field(default=0, ge=0, le=600)
    extra_periods: int = Field(default=0, ge=0, le=600)
    method: Method | None = None
    installment: Amount | None = None
    amount: Amount | None = None
    pay_by: date | None = None
    first_due: date | None = None
    rate: Decimal | None = Field(default=None, ge=0, le=10)
    waive_interest: Amount | None = None
    waive_fees: Amount | None = None
    waive_penalty: Amount | None = None

    def terms(self, currency: str) -> Terms:
        def minor(value: Decimal | None) -> int:
            return Money.of(value, currency).minor if value is not None else 0

        return Terms(
            kind=self.kind,
            periods=self.periods,
            extra_periods=self.extra_periods,
            method=self.method,
            installment=minor(self.installment),
            amount=minor(self.amount),
            pay_by=self.pay_by,
            first_due=self.first_due,
            rate=self.rate,
            waive_interest=minor(self.waive_interest),
            waive_fees=minor(self.waive_fees),
            waive_penalty=minor(self.waive_penalty),
        )


class PreviewCreate(TermsCreate):
    loan_id: str = Field(max_length=40)


class DeclineCreate(BaseModel):
    reasons: list[DeclineReason] = Field(min_length=1, max_length=len(DeclineReason))


class AcceptCreate(BaseModel):
    """The borrower's consent: the numbers they saw (`fingerprint`) under the text they read (`consent_version`)."""

    fingerprint: str = Field(min_length=64, max_length=64)
    consent_version: str = Field(min_length=1, max_length=60)


# -- answers ---------------------------------------------------------------------------------------


class MoneyPublic(BaseModel):
    amount: str
    minor: int


def _money(minor: int, currency: str) -> MoneyPublic:
    return MoneyPublic(amount=str(Money(minor, currency).to_decimal()), minor=minor)


class InstallmentPublic(BaseModel):
    start: date
    due_date: date
    principal: MoneyPublic
    interest: MoneyPublic
    carried: MoneyPublic  # what the loan already owed, carried to this date without interest
    total: MoneyPublic


class ProblemPublic(BaseModel):
    code: str
    detail: str
    rule: str


class OutcomePublic(BaseModel):
    as_of: date
    terms: dict[str, Any]
    owed: MoneyPublic
    paid: MoneyPublic
    rate: str
    apr: str
    new_interest: MoneyPublic
    total_payable: MoneyPublic
    waived_interest: MoneyPublic
    waived_fees: MoneyPublic
    waived_penalty: MoneyPublic
    written_off_principal: MoneyPublic
    interest_forgone: MoneyPublic
    installments: list[InstallmentPublic]
    problems: list[ProblemPublic]
    fingerprint: str

    @classmethod
    def of(cls, o: Outcome, currency: str) -> OutcomePublic:
        def m(minor: int) -> MoneyPublic:
            return _money(minor, currency)

        def line(i: PlannedInstallment) -> InstallmentPublic:
            carried = i.arrears_principal + i.arrears_interest + i.arrears_fee
            return InstallmentPublic(
                start=i.start,
                due_date=i.due,
                principal=m(i.principal),
                interest=m(i.interest),
                carried=m(carried),
                total=m(i.total),
            )

        c = o.concessions
        return cls(
            as_of=o.as_of,
            terms=o.terms.to_dict(),
            owed=m(o.owed),
            paid=m(o.paid),
            rate=str(o.rate),
            apr=str(o.apr),
            new_interest=m(o.new_interest),
            total_payable=m(o.total_payable),
            waived_interest=m(c.interest),
            waived_fees=m(c.fees),
            waived_penalty=m(c.penalty),
            written_off_principal=m(c.principal),
            interest_forgone=m(c.interest_forgone),
            installments=[line(i) for i in o.installments],
            problems=[ProblemPublic(code=p.code, detail=p.detail, rule=p.rule) for p in o.problems],
            fingerprint=o.fingerprint,
        )


class ProposalPublic(BaseModel):
    id: str
    request_id: str
    loan_id: str
    status: str
    needs_approval: bool
    proposed_by: str
    approved_by: str
    rules_version: int
    kind_version: int
    outcome: OutcomePublic
    offered_on: date | None = Field(default=None, description="when it reached the borrower")
    expires_on: date | None = Field(default=None, description="the last day it may be accepted")

    @classmethod
    def of(cls, p: ProposalView, currency: str) -> ProposalPublic:
        return cls(
            id=p.proposal_id,
            request_id=p.request_id,
            loan_id=p.loan_id,
            status=p.status.value,
            needs_approval=p.needs_approval,
            proposed_by=p.proposed_by,
            approved_by=p.approved_by,
            rules_version=p.rules_version,
            kind_version=p.kind_version,
            outcome=OutcomePublic.of(p.outcome, currency),
            offered_on=p.offered_on,
            expires_on=p.expires_on,
        )


class EvidencePublic(BaseModel):
    """A file added to a request: what it is, never what it says (operators read it, audited)."""

    id: str
    request_id: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime

    @classmethod
    def of(cls, e: EvidenceView) -> EvidencePublic:
        return cls(
            id=e.evidence_id,
            request_id=e.request_id,
            content_type=e.content_type,
            size=e.size,
            sha256=e.sha256,
            uploaded_at=e.uploaded_at,
        )


class DeadlineFlagPublic(BaseModel):
    """A request answered after its deadline, or unanswered past it, naming the rule."""

    rule: str
    check: str
    detail: str
    request_id: str
    loan_id: str
    borrower_id: str
    answer_due: date
    days_late: int

    @classmethod
    def of(cls, f: Flag) -> DeadlineFlagPublic:
        return cls(
            rule=f.rule,
            check=f.check,
            detail=f.detail,
            request_id=f.request_id,
            loan_id=f.loan_id,
            borrower_id=f.borrower_id,
            answer_due=f.answer_due,
            days_late=f.days_late,
        )


class RequestPublic(BaseModel):
    id: str
    loan_id: str
    borrower_id: str
    kind: Kind
    reason: Reason
    status: str
    requested_on: date
    answer_due: date
    days_left: int
    overdue: bool
    decided_on: date | None
    decline_reasons: list[str]
    monthly_income: MoneyPublic | None
    monthly_expenses: MoneyPublic | None
    proposals: list[ProposalPublic]
    offer: ProposalPublic | None
    answered_on: date | None = Field(default=None, description="the first answer: an offer or a decline")
    offer_expires: date | None = Field(default=None, description="the last day the offer may be accepted")
    evidence: list[EvidencePublic] = Field(default_factory=list)

    @classmethod
    def of(cls, r: RequestView) -> RequestPublic:
        cur = r.currency
        proposals = [ProposalPublic.of(p, cur) for p in r.proposals]
        return cls(
            id=r.request_id,
            loan_id=r.loan_id,
            borrower_id=r.borrower_id,
            kind=r.kind,
            reason=r.reason,
            status=r.status.value,
            requested_on=r.requested_on,
            answer_due=r.answer_due,
            days_left=r.days_left,
            overdue=r.overdue,
            decided_on=r.decided_on,
            decline_reasons=list(r.decline_reasons),
            monthly_income=_money(r.income, cur) if r.income is not None else None,
            monthly_expenses=_money(r.expenses, cur) if r.expenses is not None else None,
            proposals=proposals,
            offer=next((p for p in proposals if p.status == "offered"), None),
            answered_on=r.answered_on,
            offer_expires=r.offer_expires,
            evidence=[EvidencePublic.of(e) for e in r.evidence],
        )


class QueueItemPublic(BaseModel):
    request_id: str
    loan_id: str
    borrower_id: str
    kind: Kind
    reason: Reason
    status: str
    answer_due: date
    days_left: int
    awaiting_approval: bool

    @classmethod
    def of(cls, q: QueueItem) -> QueueItemPublic:
        return cls(
            request_id=q.request_id,
            loan_id=q.loan_id,
            borrower_id=q.borrower_id,
            kind=q.kind,
            reason=q.reason,
            status=q.status.value,
            answer_due=q.answer_due,
            days_left=q.days_left,
            awaiting_approval=q.awaiting_approval,
        )


class PlanPublic(BaseModel):
    id: str
    loan_id: str
    borrower_id: str
    request_id: str
    proposal_id: str
    kind: Kind
    status: str
    started_on: date
    schedule_version: int
    delinquency_held: bool
    reaged_on: date | None
    ended_on: date | None
    missed_due_date: date | None
    consent_version: str

    @classmethod
    def of(cls, p: PlanView) -> PlanPublic:
        return cls(
            id=p.plan_id,
            loan_id=p.loan_id,
            borrower_id=p.borrower_id,
            request_id=p.request_id,
            proposal_id=p.proposal_id,
            kind=p.kind,
            status=p.status.value,
            started_on=p.started_on,
            schedule_version=p.schedule_version,
            delinquency_held=p.delinquency_held,
            reaged_on=p.reaged_on,
            ended_on=p.ended_on,
            missed_due_date=p.missed_due,
            consent_version=p.consent_version,
        )
