"""Events collections publishes (through the outbox, in the transaction of the change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class ContactAttempted:
    event_type: ClassVar[str] = "collections.ContactAttempted"
    log_id: str
    borrower_id: str
    loan_id: str
    medium: str
    recipient_kind: str
    outcome: str
    rules: tuple[str, ...]
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id or self.borrower_id  # a consent request is about no loan


@dataclass(frozen=True, slots=True)
class ContactResolved:
    """What became of an allowed attempt: sent, failed, or (left by a crash) cancelled or expired."""

    event_type: ClassVar[str] = "collections.ContactResolved"
    log_id: str  # the outcome row
    attempt_id: str  # the DISPATCHING row it resolves
    borrower_id: str
    loan_id: str
    outcome: str
    rules: tuple[str, ...]
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id or self.borrower_id


@dataclass(frozen=True, slots=True)
class TasksCancelled:
    event_type: ClassVar[str] = "collections.TasksCancelled"
    loan_id: str
    borrower_id: str
    cancelled: int
    reason: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass(frozen=True, slots=True)
class ContactPersonNamed:
    event_type: ClassVar[str] = "collections.ContactPersonNamed"
    contact_id: str
    borrower_id: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.contact_id


@dataclass(frozen=True, slots=True)
class ContactPersonConfirmed:
    event_type: ClassVar[str] = "collections.ContactPersonConfirmed"
    contact_id: str
    borrower_id: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.contact_id


@dataclass(frozen=True, slots=True)
class CeaseRequested:
    event_type: ClassVar[str] = "collections.CeaseRequested"
    cease_id: str
    borrower_id: str
    scope: str
    loan_id: str | None
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.borrower_id


@dataclass(frozen=True, slots=True)
class ComplaintChanged:
    """Filed, acknowledged or answered: `status` says which."""

    event_type: ClassVar[str] = "collections.ComplaintChanged"
    complaint_id: str
    borrower_id: str
    loan_id: str
    category: str
    status: str
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.complaint_id


@dataclass(frozen=True, slots=True)
class CollectionsPlanned:
    event_type: ClassVar[str] = "collections.CollectionsPlanned"
    tasks: int
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return f"plan:{self.business_date.isoformat()}"
