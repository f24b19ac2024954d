"""Hardship's events (outbox): collections (pause, plan reminders) and the bureau (modification codes) follow them.

Payloads carry ids, kinds, dates and amounts, never personal data: neither the
reason (it may be illness: health is sensitive data, CN-10) nor the
affordability statement is in any event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class RequestFiled:
    """A borrower asked for a plan: collections may pause contacts about the loan until it is answered (P-3)."""

    event_type: ClassVar[str] = "hardship.RequestFiled"
    request_id: str
    loan_id: str
    borrower_id: str
    kind: str
    answer_due: date
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class ProposalMade:
    event_type: ClassVar[str] = "hardship.ProposalMade"
    proposal_id: str
    request_id: str
    loan_id: str
    borrower_id: str
    kind: str
    needs_approval: bool
    proposed_by: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class ProposalApproved:
    """A second operator approved (maker-checker); `approved` False: they refused it."""

    event_type: ClassVar[str] = "hardship.ProposalApproved"
    proposal_id: str
    request_id: str
    loan_id: str
    borrower_id: str
    approved: bool
    proposed_by: str
    decided_by: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class RequestDeclined:
    event_type: ClassVar[str] = "hardship.RequestDeclined"
    request_id: str
    loan_id: str
    borrower_id: str
    reasons: tuple[str, ...]
    decided_by: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class PlanStarted:
    """The borrower accepted: the loan's schedule is a new version (lending.LoanModified, same transaction).

    `delinquency_held`: the loan's status stays as reported until `PlanReaged`
    (or `PlanBroken`). While the plan is kept, collections send plan reminders
    only; the bureau reports the modification with the profile's code.
    """

    event_type: ClassVar[str] = "hardship.PlanStarted"
    plan_id: str
    request_id: str
    proposal_id: str
    loan_id: str
    borrower_id: str
    kind: str
    schedule_version: int
    first_due_date: date
    maturity_date: date
    installments: int
    concessions: Money  # waived and written off
    interest_forgone: Money
    delinquency_held: bool
    consent_version: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class PlanReaged:
    """A kept plan returned the loan to current, as the profile's re-age rule allows."""

    event_type: ClassVar[str] = "hardship.PlanReaged"
    plan_id: str
    loan_id: str
    borrower_id: str
    rule: str
    payments_counted: int
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class PlanBroken:
    """A plan payment went unpaid past the profile's grace: the plan ends, the ladder may resume.

    The remaining balance stays due under the modified schedule; waived
    amounts are never reinstated.
    """

    event_type: ClassVar[str] = "hardship.PlanBroken"
    plan_id: str
    loan_id: str
    borrower_id: str
    missed_due_date: date
    days_past_due: int
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class PlanEnded:
    """A plan ended kept: every payment made (`completed`), or the loan left the books another way."""

    event_type: ClassVar[str] = "hardship.PlanEnded"
    plan_id: str
    loan_id: str
    borrower_id: str
    status: str  # completed | ended
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class RequestExpired:
    """The offer was not accepted within the profile's `offer_valid_days`: the request is closed, contacts resume."""

    event_type: ClassVar[str] = "hardship.RequestExpired"
    request_id: str
    proposal_id: str
    loan_id: str
    borrower_id: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class EvidenceAdded:
    """A file was added to a request: its id, type and size only (the file is sealed; it may be about health)."""

    event_type: ClassVar[str] = "hardship.EvidenceAdded"
    evidence_id: str
    request_id: str
    loan_id: str
    borrower_id: str
    content_type: str
    size: int
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id
