"""Collections over HTTP: the borrower's remedies and the collectors' queue.

Thin: parse, call one collections service, render. Borrowers see and change
only their own; collectors attempt contacts (always through the gateway).
Complaints and the compliance view are in complaints.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from fairlend.api.auth import (
    COLLECTIONS_READERS,
    COMPLIANCE_READERS,
    Authenticated,
    Collector,
    ensure_can_read_owned,
    require_roles,
)
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.bootstrap import Container
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium, RecipientKind
from fairlend.collections.service import CollectionsService
from fairlend.errors import Forbidden
from fairlend.identity.model import Principal, Role
from fairlend.jurisdiction.model import CeaseScope

router = APIRouter(prefix="/collections", tags=["collections"])

Console = Annotated[Principal, Depends(require_roles(*COLLECTIONS_READERS))]


def _collections(container: Container) -> CollectionsService:
    assert container.collections is not None, "collections is wired in bootstrap"
    return container.collections.service


def the_borrower(principal: Principal, borrower_id: str) -> None:
    """Only the borrower themself asks to stop, complains or names a contact person."""
    if principal.role is not Role.BORROWER or principal.subject_id != borrower_id:
        raise Forbidden("not_yours", "only the borrower can do this")


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RulePublic(Public):
    rule: str
    en: str
    zh: str


class ContactPublic(Public):
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
    rules: list[RulePublic]
    collector_id: str


class ContactPersonCreate(BaseModel):
    """One person at a time; never a list (P-1)."""

    name: str = Field(min_length=1, max_length=80)
    relation: str = Field(min_length=1, max_length=40)
    phone: str = Field(min_length=5, max_length=25)
    purpose: str = Field(default="", max_length=200)
    timezone: str | None = Field(default=None, max_length=60)


class ContactPersonConfirm(BaseModel):
    code: str = Field(min_length=4, max_length=10)


class ContactPersonPublic(Public):
    id: str
    borrower_id: str
    name: str
    relation: str
    phone_masked: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None


class CeaseRequestCreate(BaseModel):
    scope: CeaseScope
    medium: Medium | None = None
    number: str | None = Field(default=None, max_length=25)
    loan_id: str | None = Field(default=None, max_length=40)


class CeasePublic(Public):
    id: str
    borrower_id: str
    scope: str
    loan_id: str | None
    medium: str | None
    number_masked: str | None
    created_at: datetime


class WindowConsentCreate(BaseModel):
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")


class ContactAttemptCreate(BaseModel):
    loan_id: str = Field(max_length=40)
    medium: Medium
    recipient_kind: RecipientKind = RecipientKind.DEBTOR
    contact_person_id: str | None = Field(default=None, max_length=40)
    third_party_number: str | None = Field(default=None, max_length=25)
    third_party_timezone: str | None = Field(default=None, max_length=60)
    # A template of the jurisdiction's profile; with neither template nor text: "collection".
    template: str | None = Field(default=None, max_length=40)
    # The collector's own words instead of a template: only ever to the debtor (P-9), checked for content.
    text: str | None = Field(default=None, max_length=2_000)
    task_id: str | None = Field(default=None, max_length=40)


class ViolationPublic(Public):
    rule: str
    check: str
    detail: str


class ContactDecisionPublic(BaseModel):
    log_id: str
    seq: int
    outcome: str
    allowed: bool
    violations: list[ViolationPublic]


class TaskPublic(Public):
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


@router.get("/borrowers/{borrower_id}/contacts", response_model=list[ContactPublic])
def contacts_about_me(
    borrower_id: str, principal: Authenticated, container: ContainerDep, loan_id: str | None = None
) -> list[ContactPublic]:
    """Every attempt to contact anyone about the borrower's loans, blocked ones included, with why."""
    ensure_can_read_owned(principal, borrower_id, operator_roles=COLLECTIONS_READERS)
    views = _collections(container).contacts_about(borrower_id, loan_id)
    return [ContactPublic.model_validate(v) for v in views]


@router.post("/borrowers/{borrower_id}/cease-requests", status_code=201, response_model=CeasePublic)
def request_cease(
    borrower_id: str,
    body: CeaseRequestCreate,
    principal: Authenticated,
    container: ContainerDep,
    key: IdempotencyKey = None,
) -> CeasePublic:
    the_borrower(principal, borrower_id)
    view = _collections(container).request_cease(
        borrower_id, body.scope, medium=body.medium, number=body.number, loan_id=body.loan_id
    )
    return CeasePublic.model_validate(view)


@router.get("/borrowers/{borrower_id}/cease-requests", response_model=list[CeasePublic])
def cease_requests(borrower_id: str, principal: Authenticated, container: ContainerDep) -> list[CeasePublic]:
    ensure_can_read_owned(principal, borrower_id, operator_roles=COLLECTIONS_READERS)
    return [CeasePublic.model_validate(v) for v in _collections(container).cease_requests(borrower_id)]


@router.put("/borrowers/{borrower_id}/window-consent", status_code=204)
def consent_to_window(
    borrower_id: str, body: WindowConsentCreate, principal: Authenticated, container: ContainerDep
) -> Response:
    the_borrower(principal, borrower_id)
    _collections(container).consent_to_window(borrower_id, body.start, body.end)
    return Response(status_code=204)


@router.post("/borrowers/{borrower_id}/contact-persons", status_code=201, response_model=ContactPersonPublic)
def name_contact_person(
    borrower_id: str,
    body: ContactPersonCreate,
    principal: Authenticated,
    container: ContainerDep,
    key: IdempotencyKey = None,
) -> ContactPersonPublic:
    """Name one contact person; they get a code on their own phone and exist only once they confirm."""
    the_borrower(principal, borrower_id)
    view = _collections(container).name_contact_person(
        borrower_id, body.name, body.relation, body.phone, body.purpose, body.timezone
    )
    return ContactPersonPublic.model_validate(view)


@router.get("/borrowers/{borrower_id}/contact-persons", response_model=list[ContactPersonPublic])
def contact_persons(borrower_id: str, principal: Authenticated, container: ContainerDep) -> list[ContactPersonPublic]:
    ensure_can_read_owned(principal, borrower_id, operator_roles=COLLECTIONS_READERS)
    return [ContactPersonPublic.model_validate(v) for v in _collections(container).contact_persons(borrower_id)]


@router.post("/borrowers/{borrower_id}/contact-persons/{contact_id}/revoke", response_model=ContactPersonPublic)
def revoke_contact_person(
    borrower_id: str, contact_id: str, principal: Authenticated, container: ContainerDep
) -> ContactPersonPublic:
    the_borrower(principal, borrower_id)
    return ContactPersonPublic.model_validate(_collections(container).revoke_contact_person(borrower_id, contact_id))


@router.post("/borrowers/{borrower_id}/contact-persons/{contact_id}/resend-code", response_model=ContactPersonPublic)
def resend_contact_code(
    borrower_id: str, contact_id: str, principal: Authenticated, container: ContainerDep
) -> ContactPersonPublic:
    the_borrower(principal, borrower_id)
    return ContactPersonPublic.model_validate(_collections(container).resend_contact_code(borrower_id, contact_id))


@router.post("/contact-persons/{contact_id}/confirm", response_model=ContactPersonPublic)
def confirm_contact_person(contact_id: str, body: ContactPersonConfirm, container: ContainerDep) -> ContactPersonPublic:
    """The contact person confirms with the code sent to their phone (no account needed)."""
    return ContactPersonPublic.model_validate(_collections(container).confirm_contact_person(contact_id, body.code))


@router.get(
    "/borrowers/{borrower_id}/loans/{loan_id}/evidence.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def evidence_package(
    borrower_id: str,
    loan_id: str,
    principal: Authenticated,
    container: ContainerDep,
    lang: Annotated[Literal["zh-CN", "en"], Query()] = "zh-CN",
) -> Response:
    """The evidence package: loan facts, the verified contact log, blocked attempts, and both letters."""
    ensure_can_read_owned(principal, borrower_id, operator_roles=COMPLIANCE_READERS)
    pdf = _collections(container).evidence_pdf(borrower_id, loan_id, lang)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="evidence-{loan_id}-{lang}.pdf"'},
    )


# -- collectors ----------------------------------------------------------------------------


@router.get("/queue", response_model=list[TaskPublic])
def queue(
    principal: Console,
    container: ContainerDep,
    business_date: date | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[TaskPublic]:
    """Today's pending tasks, oldest and largest debts first."""
    on = business_date or container.clock.business_date()
    return [TaskPublic.model_validate(t) for t in _collections(container).queue(on, limit=limit, offset=offset)]


@router.post("/attempts", status_code=201, response_model=ContactDecisionPublic)
def attempt_contact(
    body: ContactAttemptCreate, principal: Collector, container: ContainerDep, key: IdempotencyKey = None
) -> ContactDecisionPublic:
    """Try to reach someone: the gateway decides now, logs it either way and says why if not."""
    assert container.collections is not None
    decision = container.collections.gateway.attempt(
        ContactRequest(
            loan_id=body.loan_id,
            medium=body.medium,
            recipient_kind=body.recipient_kind,
            contact_person_id=body.contact_person_id,
            third_party_number=body.third_party_number,
            third_party_timezone=body.third_party_timezone,
            template=body.template,
            text=body.text,
            collector_id=principal.subject_id,
            task_id=body.task_id or "",
        )
    )
    return ContactDecisionPublic(
        log_id=decision.log_id,
        seq=decision.seq,
        outcome=decision.outcome.value,
        allowed=decision.allowed,
        violations=[ViolationPublic.model_validate(v) for v in decision.violations],
    )
