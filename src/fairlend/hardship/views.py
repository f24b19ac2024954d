"""What hardship's services answer: the borrower's and operators' views of requests, proposals and plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fairlend.hardship.model import Kind, Outcome, PlanStatus, ProposalStatus, Reason, RequestStatus


@dataclass(frozen=True, slots=True)
class ProposalView:
    """A proposal, with its numbers: as proposed, or (`current`) recomputed on the loan today."""

    proposal_id: str
    request_id: str
    loan_id: str
    status: ProposalStatus
    needs_approval: bool
    proposed_by: str
    approved_by: str
    rules_version: int
    kind_version: int
    outcome: Outcome
    offered_on: date | None = None  # when it reached the borrower
    expires_on: date | None = None  # the last day it may be accepted (the profile's `offer_valid_days`)


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """A file added to a request: what it is, never what it says."""

    evidence_id: str
    request_id: str
    borrower_id: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    view: EvidenceView
    content: bytes


@dataclass(frozen=True, slots=True)
class RequestView:
    request_id: str
    loan_id: str
    borrower_id: str
    kind: Kind
    reason: Reason
    currency: str
    income: int | None
    expenses: int | None
    status: RequestStatus
    requested_on: date
    answer_due: date
    days_left: int  # to the answer deadline, from today (negative: missed)
    decided_on: date | None
    decline_reasons: tuple[str, ...]
    proposals: tuple[ProposalView, ...]
    answered_on: date | None = None  # the first answer: an offer made or a decline
    evidence: tuple[EvidenceView, ...] = ()

    @property
    def offer(self) -> ProposalView | None:
        """The proposal the borrower may accept now, if any."""
        return next((p for p in self.proposals if p.status is ProposalStatus.OFFERED), None)

    @property
    def offer_expires(self) -> date | None:
        """The last day the offer may be accepted; None without an offer."""
        offer = self.offer
        return offer.expires_on if offer is not None else None

    @property
    def overdue(self) -> bool:
        return self.status is RequestStatus.PENDING and self.days_left < 0


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One open request in the operators' queue, ordered by its deadline."""

    request_id: str
    loan_id: str
    borrower_id: str
    kind: Kind
    reason: Reason
    status: RequestStatus
    answer_due: date
    days_left: int
    awaiting_approval: bool  # a proposal waits for a second operator


@dataclass(frozen=True, slots=True)
class PlanView:
    plan_id: str
    loan_id: str
    borrower_id: str
    request_id: str
    proposal_id: str
    kind: Kind
    status: PlanStatus
    started_on: date
    schedule_version: int
    delinquency_held: bool
    reaged_on: date | None
    ended_on: date | None
    missed_due: date | None
    consent_version: str
    fingerprint: str
