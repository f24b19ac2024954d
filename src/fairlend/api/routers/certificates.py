"""Asset certificates over HTTP: a borrower uploads salary flow, social security, housing fund,
property or vehicle records; reviewers approve or reject them. Access is decided by the policies
in api/auth.py, never here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from pydantic import BaseModel, Field

from fairlend.api.auth import OwnerOnly, OwnerOrPersonReader, OwnerOrReviewer, Reviewer
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.identity.certificates import served_headers
from fairlend.identity.checks import MAX_CERTIFICATE_BYTES
from fairlend.identity.model import Certificate, CertificateStatus
from fairlend.money import Money

router = APIRouter(tags=["identity"])


class CertificatePublic(BaseModel):
    certificate_id: str
    person_id: str
    kind: str
    amount: str
    currency: str
    content_type: str
    size: int
    status: str
    reason: str
    uploaded_at: datetime
    reviewed_at: datetime | None


class Review(BaseModel):
    decision: Literal["approve", "reject"]
    reason: str = Field(default="", max_length=500)


def _certificate(cert: Certificate) -> CertificatePublic:
    return CertificatePublic(
        certificate_id=cert.certificate_id,
        person_id=cert.person_id,
        kind=cert.kind.value,
        amount=str(cert.amount.to_decimal()),
        currency=cert.amount.currency,
        content_type=cert.content_type,
        size=cert.size,
        status=cert.status.value,
        reason=cert.reason,
        uploaded_at=cert.uploaded_at,
        reviewed_at=cert.reviewed_at,
    )


@router.post("/people/{person_id}/certificates", status_code=status.HTTP_201_CREATED, response_model=CertificatePublic)
def upload_certificate(
    person_id: str,
    kind: Annotated[str, Form(description="salary_flow, social_security, housing_fund, property, vehicle, deposit")],
    amount: Annotated[str, Form(description="declared monthly income (income records) or value (assets)")],
    file: Annotated[UploadFile, File(description=f"PDF, JPEG or PNG, at most {MAX_CERTIFICATE_BYTES} bytes")],
    _who: OwnerOnly,
    container: ContainerDep,
    _key: IdempotencyKey = None,
) -> CertificatePublic:
    # Read one byte past the cap: enough to refuse, never the whole of a huge upload.
    content = file.file.read(MAX_CERTIFICATE_BYTES + 1)
    cert = container.identity.certificates.upload(
        person_id,
        kind,
        Money.parse(amount, container.profile.currency),
        content,
        claimed_type=file.content_type,
        filename=file.filename,
    )
    return _certificate(cert)


@router.get("/people/{person_id}/certificates", response_model=list[CertificatePublic])
def certificates(person_id: str, _who: OwnerOrPersonReader, container: ContainerDep) -> list[CertificatePublic]:
    return [_certificate(c) for c in container.identity.certificates.list_for(person_id)]


@router.get("/people/{person_id}/certificates/{certificate_id}", response_model=CertificatePublic)
def certificate(
    person_id: str, certificate_id: str, _who: OwnerOrPersonReader, container: ContainerDep
) -> CertificatePublic:
    return _certificate(container.identity.certificates.get(person_id, certificate_id))


@router.get(
    "/people/{person_id}/certificates/{certificate_id}/file",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def certificate_file(person_id: str, certificate_id: str, _who: OwnerOrReviewer, container: ContainerDep) -> Response:
    found = container.identity.certificates.file(person_id, certificate_id)
    return Response(
        found.content, media_type=found.content_type, headers=served_headers(certificate_id, found.content_type)
    )


@router.post("/people/{person_id}/certificates/{certificate_id}/review", response_model=CertificatePublic)
def review_certificate(
    person_id: str,
    certificate_id: str,
    body: Review,
    reviewer: Reviewer,
    container: ContainerDep,
    _key: IdempotencyKey = None,
) -> CertificatePublic:
    cert = container.identity.certificates.review(
        person_id,
        certificate_id,
        approve=body.decision == "approve",
        reason=body.reason,
        reviewer_id=reviewer.subject_id,
    )
    return _certificate(cert)


@router.get("/certificates", response_model=list[CertificatePublic])
def certificate_queue(
    _who: Reviewer,
    container: ContainerDep,
    state: Annotated[Literal["pending", "approved", "rejected"], Query(alias="status")] = "pending",
) -> list[CertificatePublic]:
    return [_certificate(c) for c in container.identity.certificates.queue(CertificateStatus(state))]
