"""Collections over HTTP: the borrower's remedies, the collectors' queue, the compliance view.

Thin: parse, call one collections service, render. Borrowers see and change
only their own; collectors attempt contacts (always through the gateway);
compliance officers work complaints and read the statistics.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
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
from fairlend.collections.complaints import ComplaintService
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import ComplaintCategory, ComplaintStatus, Medium, RecipientKind
from fairlend.collections.service import CollectionsService
from fairlend.errors import Forbidden
from fairlend.identity.model import Principal, Role
from fairlend.jurisdiction.model import CeaseScope

router = APIRouter(prefix="/collections", tags=["collections"])

Compliance = Annotated[Principal, Depends(require_roles(*COMPLIANCE_READERS))]
Console = Annotated[Principal, Depends(require_roles(*COLLECTIONS_READERS))]


def _collections(container: Container) -> CollectionsService:
    assert container.collections is not None, "collections is wired in bootstrap"
    return container.collections.service


def _complaints(container: Container) -> ComplaintService:
    assert container.collections is not None, "collections is wired in bootstrap"
    return container.collections.complaints


def _the_borrower(principal: Principal, borrower_id: str) -> None:
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


class ComplaintCreate(BaseModel):
    loan_id: str = Field(max_length=40)
    category: ComplaintCategory
    text: str = Field(min_length=1, max_length=10_000)


class ComplaintAnswer(BaseModel):
    answer: str = Field(min_length=1, max_length=10_000)


class ComplaintExtension(BaseModel):
    """Once, in a complex case (CN-22, US-19): why the answer needs more time; the borrower sees it."""

    reason: str = Field(min_length=1, max_length=2_000)


class AttachmentPublic(Public):
    seq: int
    filename: str
    content_type: str
    sha256: str
    size: int


class ComplaintPublic(Public):
    id: str
    borrower_id: str
    loan_id: str
    category: ComplaintCategory
    text: str
    status: ComplaintStatus
    filed_at: datetime
    ack_due: datetime
    answer_due: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None
    answer: str | None
    extended_at: datetime | None
    extension_note: str | None
    ack_breached: bool
    answer_breached: bool
    ack_seconds_left: int | None
    answer_seconds_left: int | None
    attachments: list[AttachmentPublic]


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


class ComplianceSummaryPublic(BaseModel):
    blocked_per_rule: dict[str, int]
    blocked_per_collector: dict[str, int]
    complaints_by_status: dict[str, int]
    acknowledgement_breaches: int
    answer_breaches: int


# -- the borrower's side ----------------------------------------------------------------


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
    _the_borrower(principal, borrower_id)
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
    _the_borrower(principal, borrower_id)
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
    _the_borrower(principal, borrower_id)
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
    _the_borrower(principal, borrower_id)
    return ContactPersonPublic.model_validate(_collections(container).revoke_contact_person(borrower_id, contact_id))


@router.post("/borrowers/{borrower_id}/contact-persons/{contact_id}/resend-code", response_model=ContactPersonPublic)
def resend_contact_code(
    borrower_id: str, contact_id: str, principal: Authenticated, container: ContainerDep
) -> ContactPersonPublic:
    _the_borrower(principal, borrower_id)
    return ContactPersonPublic.model_validate(_collections(container).resend_contact_code(borrower_id, contact_id))


@router.post("/contact-persons/{contact_id}/confirm", response_model=ContactPersonPublic)
def confirm_contact_person(contact_id: str, body: ContactPersonConfirm, container: ContainerDep) -> ContactPersonPublic:
    """The contact person confirms with the code sent to their phone (no account needed)."""
    return ContactPersonPublic.model_validate(_collections(container).confirm_contact_person(contact_id, body.code))


@router.post("/borrowers/{borrower_id}/complaints", status_code=201, response_model=ComplaintPublic)
def file_complaint(
    borrower_id: str,
    body: ComplaintCreate,
    principal: Authenticated,
    container: ContainerDep,
    key: IdempotencyKey = None,
) -> ComplaintPublic:
    _the_borrower(principal, borrower_id)
    view = _complaints(container).file(borrower_id, body.loan_id, body.category, body.text)
    return ComplaintPublic.model_validate(view)


@router.get("/borrowers/{borrower_id}/complaints", response_model=list[ComplaintPublic])
def borrower_complaints(borrower_id: str, principal: Authenticated, container: ContainerDep) -> list[ComplaintPublic]:
    ensure_can_read_owned(principal, borrower_id, operator_roles=COMPLIANCE_READERS)
    return [ComplaintPublic.model_validate(v) for v in _complaints(container).list(borrower_id=borrower_id)]


@router.get("/complaints/{complaint_id}", response_model=ComplaintPublic)
def complaint(complaint_id: str, principal: Authenticated, container: ContainerDep) -> ComplaintPublic:
    view = _complaints(container).get(complaint_id)
    ensure_can_read_owned(principal, view.borrower_id, operator_roles=COMPLIANCE_READERS)
    return ComplaintPublic.model_validate(view)


@router.post("/complaints/{complaint_id}/attachments", status_code=201, response_model=AttachmentPublic)
def attach(
    complaint_id: str,
    principal: Authenticated,
    container: ContainerDep,
    file: Annotated[UploadFile, File()],
    note: Annotated[str, Form(max_length=200)] = "",
) -> AttachmentPublic:
    view = _complaints(container).get(complaint_id)
    _the_borrower(principal, view.borrower_id)
    data = file.file.read()
    attached = _complaints(container).attach(
        view.borrower_id,
        complaint_id,
        file.filename or note or "file",
        file.content_type or "application/octet-stream",
        data,
    )
    return AttachmentPublic.model_validate(attached)


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


# -- compliance ------------------------------------------------------------------------------


@router.get("/compliance/summary", response_model=ComplianceSummaryPublic)
def compliance_summary(principal: Compliance, container: ContainerDep) -> ComplianceSummaryPublic:
    per_rule, per_collector = _collections(container).blocked_summary()
    by_status, ack, answer = _complaints(container).sla_summary()
    return ComplianceSummaryPublic(
        blocked_per_rule=per_rule,
        blocked_per_collector=per_collector,
        complaints_by_status=by_status,
        acknowledgement_breaches=ack,
        answer_breaches=answer,
    )


@router.get("/compliance/complaints", response_model=list[ComplaintPublic])
def complaint_queue(
    principal: Compliance, container: ContainerDep, status: ComplaintStatus | None = None
) -> list[ComplaintPublic]:
    return [ComplaintPublic.model_validate(v) for v in _complaints(container).list(status=status)]


@router.post("/complaints/{complaint_id}/acknowledge", response_model=ComplaintPublic)
def acknowledge(complaint_id: str, principal: Compliance, container: ContainerDep) -> ComplaintPublic:
    return ComplaintPublic.model_validate(_complaints(container).acknowledge(complaint_id, principal.subject_id))


@router.post("/complaints/{complaint_id}/extend", response_model=ComplaintPublic)
def extend(
    complaint_id: str, body: ComplaintExtension, principal: Compliance, container: ContainerDep
) -> ComplaintPublic:
    return ComplaintPublic.model_validate(
        _complaints(container).extend(complaint_id, principal.subject_id, body.reason)
    )


@router.post("/complaints/{complaint_id}/answer", response_model=ComplaintPublic)
def answer(complaint_id: str, body: ComplaintAnswer, principal: Compliance, container: ContainerDep) -> ComplaintPublic:
    return ComplaintPublic.model_validate(
        _complaints(container).answer(complaint_id, principal.subject_id, body.answer)
    )
