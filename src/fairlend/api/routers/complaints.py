"""Complaints over HTTP: the borrower files and attaches, the compliance officer works them with their clocks.

Thin: parse, call collections' `ComplaintService`, render. Also the compliance
view's statistics (blocked attempts by rule and collector, complaint clocks).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel, Field

from fairlend.api.auth import COMPLIANCE_READERS, Authenticated, ensure_can_read_owned, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.api.routers.collections import Public, the_borrower
from fairlend.bootstrap import Container
from fairlend.collections.complaints import ComplaintService
from fairlend.collections.model import ComplaintCategory, ComplaintStatus
from fairlend.identity.model import Principal

router = APIRouter(prefix="/collections", tags=["collections"])

Compliance = Annotated[Principal, Depends(require_roles(*COMPLIANCE_READERS))]


def _complaints(container: Container) -> ComplaintService:
    assert container.collections is not None, "collections is wired in bootstrap"
    return container.collections.complaints


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


class ComplianceSummaryPublic(BaseModel):
    blocked_per_rule: dict[str, int]
    blocked_per_collector: dict[str, int]
    complaints_by_status: dict[str, int]
    acknowledgement_breaches: int
    answer_breaches: int


# -- the borrower's side ----------------------------------------------------------------


@router.post("/borrowers/{borrower_id}/complaints", status_code=201, response_model=ComplaintPublic)
def file_complaint(
    borrower_id: str,
    body: ComplaintCreate,
    principal: Authenticated,
    container: ContainerDep,
    key: IdempotencyKey = None,
) -> ComplaintPublic:
    the_borrower(principal, borrower_id)
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
    the_borrower(principal, view.borrower_id)
    data = file.file.read()
    attached = _complaints(container).attach(
        view.borrower_id,
        complaint_id,
        file.filename or note or "file",
        file.content_type or "application/octet-stream",
        data,
    )
    return AttachmentPublic.model_validate(attached)


# -- compliance ------------------------------------------------------------------------------


@router.get("/compliance/summary", response_model=ComplianceSummaryPublic)
def compliance_summary(principal: Compliance, container: ContainerDep) -> ComplianceSummaryPublic:
    assert container.collections is not None, "collections is wired in bootstrap"
    per_rule, per_collector = container.collections.service.blocked_summary()
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
