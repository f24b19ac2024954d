"""What the borrower, collectors and compliance see: plain data built from rows and records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fairlend.collections.model import ContactPersonStatus, LogRecord
from fairlend.collections.rule_texts import rule_text


@dataclass(frozen=True, slots=True)
class ContactPersonView:
    id: str
    borrower_id: str
    name: str
    relation: str
    phone_masked: str
    status: ContactPersonStatus
    created_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CeaseView:
    id: str
    borrower_id: str
    scope: str
    loan_id: str | None
    medium: str | None
    number_masked: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RuleExplained:
    rule: str
    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class ContactView:
    """One attempt as the borrower sees it (P-4): blocked ones too, with why."""

    id: str
    seq: int
    loan_id: str
    at: datetime
    medium: str
    recipient_kind: str
    recipient_masked: str
    template: str
    text: str
    outcome: str
    rules: tuple[RuleExplained, ...]
    collector_id: str


@dataclass(frozen=True, slots=True)
class TaskView:
    id: str
    borrower_id: str
    loan_id: str
    business_date: date
    step: str
    action: str
    medium: str
    days_past_due: int
    overdue_minor: int
    currency: str
    priority: int
    status: str


def explain(rules: tuple[str, ...]) -> tuple[RuleExplained, ...]:
    return tuple(RuleExplained(r, rule_text(r, "en"), rule_text(r, "zh")) for r in rules)


def contact_view(record: LogRecord, resolution: LogRecord | None = None) -> ContactView:
    """One attempt with what became of it: an allowed attempt is shown with its outcome row's outcome."""
    rules = record.rules + (resolution.rules if resolution else ())
    return ContactView(
        id=record.id,
        seq=record.seq,
        loan_id=record.loan_id,
        at=record.at,
        medium=record.medium.value,
        recipient_kind=record.recipient_kind.value,
        recipient_masked=record.recipient_masked,
        template=record.template,
        text=record.text,
        outcome=(resolution or record).outcome.value,
        rules=explain(tuple(dict.fromkeys(rules))),
        collector_id=record.collector_id,
    )


def contact_views(records: list[LogRecord]) -> list[ContactView]:
    """The borrower's attempts in the records' order, each joined with its outcome row."""
    outcomes = {r.resolves: r for r in records if r.resolves}
    return [contact_view(r, outcomes.get(r.id)) for r in records if not r.resolves]


def person_view(row: Any, name: str) -> ContactPersonView:
    return ContactPersonView(
        row.id,
        row.borrower_id,
        name,
        row.relation,
        row.phone_masked,
        ContactPersonStatus(row.status),
        row.created_at,
        row.confirmed_at,
    )


def task_view(r: Any) -> TaskView:
    return TaskView(
        r.id,
        r.borrower_id,
        r.loan_id,
        r.business_date,
        r.step,
        r.action,
        r.medium,
        r.days_past_due,
        r.overdue_minor,
        r.currency,
        r.priority,
        r.status,
    )
