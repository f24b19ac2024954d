"""The bureau's HTTP API under /api/v1/bureau: institutions authenticate with API keys.

A reporting institution sends `Authorization: ApiKey <key>` (not a user's
bearer token: the bureau is another institution with its own credentials).
Routes are thin: parse, call the bureau service, render.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from fairlend.api.deps import IdempotencyKey, get_container
from fairlend.bureau.consent import ConsentAttestation, InquiryPurpose
from fairlend.bureau.documents import Institution
from fairlend.bureau.render import render_html, render_pdf
from fairlend.bureau.service import BureauService
from fairlend.codec import encode
from fairlend.errors import Forbidden, Unauthorized

router = APIRouter(tags=["bureau"])


async def bureau_service(request: Request) -> BureauService:  # no I/O: kept off the thread pool
    bureau = get_container(request).bureau
    service = getattr(bureau, "service", None)
    if not isinstance(service, BureauService):  # pragma: no cover - a wiring mistake
        raise RuntimeError("the bureau is not wired in-process")
    return service


Service = Annotated[BureauService, Depends(bureau_service)]


def current_institution(request: Request, service: Service) -> Institution:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "apikey" or not key.strip():
        raise Unauthorized("api_key_required", "send the institution's key as `Authorization: ApiKey <key>`")
    return service.authenticate(key.strip())


Caller = Annotated[Institution, Depends(current_institution)]


class ConsentIn(BaseModel):
    """The person's consent as the institution holds it (CN-14): whose, to whom, for what, which text, when."""

    consent_id: str = Field(min_length=1, max_length=80)
    purpose: InquiryPurpose
    institution_id: str
    person_id_number: str = Field(min_length=1, max_length=40, description="the ID number of the person who consented")
    text_version: str = Field(min_length=1, max_length=40)
    granted_at: datetime
    revoked_at: datetime | None = None

    def attestation(self) -> ConsentAttestation:
        return ConsentAttestation(**self.model_dump())


class InquiryCreate(BaseModel):
    id_number: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=120)
    purpose: InquiryPurpose
    consent: ConsentIn | None = None


class SelfQueryCreate(BaseModel):
    id_number: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=120)
    consent: ConsentIn | None = Field(
        default=None, description="the person's consent to this self-query, purpose `self` (CN-14); required"
    )


class DisputeCreate(BaseModel):
    id_number: str = Field(min_length=1, max_length=40)
    institution_id: str = Field(min_length=1, max_length=40)
    account_ref: str = Field(min_length=1, max_length=80)
    reason: str = Field(min_length=1, max_length=2000)
    month: str = ""
    added_information: bool = False


class DisputeAnswer(BaseModel):
    outcome: Literal["verified", "corrected", "deleted"]
    correction: dict[str, Any] | None = None
    note: str = Field(default="", max_length=2000)


class NoticeQuery(BaseModel):
    id_number: str = Field(min_length=1, max_length=40)


class OpenCheck(BaseModel):
    open: bool


@router.post("/files", summary="Submit a reporting file (JSON Lines or Metro 2); answers with the acknowledgement")
async def submit_file(
    request: Request, service: Service, caller: Caller, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    # Async only to read the raw body; the work runs in the thread pool like any sync route.
    content = await request.body()
    ack = await run_in_threadpool(service.submit, caller.institution_id, content)
    return ack.to_json()


@router.post("/records", summary="Submit records as a JSON array (the same rules as a file)")
def submit_records(
    records: list[dict[str, Any]], service: Service, caller: Caller, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    return service.submit_records(caller.institution_id, records).to_json()


@router.post("/inquiries", summary="An inquiry: hard ones need the person's consent (CN-14)")
def inquire(body: InquiryCreate, service: Service, caller: Caller, idempotency_key: IdempotencyKey = None) -> Any:
    consent = body.consent.attestation() if body.consent else None
    report = service.inquire(caller.institution_id, body.id_number, body.purpose, name=body.name, consent=consent)
    return encode(report)


@router.post(
    "/self-queries",
    summary="A person's own report through the institution, with their consent (soft; CN-13, CN-14)",
)
def self_query(
    body: SelfQueryCreate,
    service: Service,
    caller: Caller,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "json",
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """An institution asks for a person's own report on their behalf: the body carries the person's
    consent (purpose `self`, given to this institution, not revoked); without it the answer is 403
    naming the rule. Only the bureau's own counter answers self-queries without one."""
    consent = body.consent.attestation() if body.consent else None
    report = service.self_query(body.id_number, institution_id=caller.institution_id, name=body.name, consent=consent)
    if format == "html":
        return Response(render_html(report), media_type="text/html; charset=utf-8")
    if format == "pdf":
        return Response(render_pdf(report), media_type="application/pdf")
    return encode(report)


@router.post("/disputes", status_code=201, summary="A person disputes a record (CN-15, CR-7)")
def file_dispute(body: DisputeCreate, service: Service, caller: Caller, idempotency_key: IdempotencyKey = None) -> Any:
    dispute = service.file_dispute(
        body.id_number,
        body.institution_id,
        body.account_ref,
        body.reason,
        month=body.month,
        added_information=body.added_information,
    )
    return encode(dispute)


@router.get("/disputes", summary="Disputes about the calling institution's records")
def list_disputes(service: Service, caller: Caller, status: str = "open") -> Any:
    return encode(service.disputes_for(caller.institution_id, status=status))


@router.get("/disputes/open-check", response_model=OpenCheck, summary="Is a dispute open on this account? (P-3)")
def open_check(institution_id: str, account_ref: str, service: Service, caller: Caller) -> OpenCheck:
    if institution_id != caller.institution_id:
        raise Forbidden("not_your_account", "an institution asks only about its own accounts")
    return OpenCheck(open=service.has_open_dispute(institution_id, account_ref))


@router.post("/disputes/{dispute_id}/answer", summary="The institution answers a dispute")
def answer_dispute(
    dispute_id: str, body: DisputeAnswer, service: Service, caller: Caller, idempotency_key: IdempotencyKey = None
) -> Any:
    answered = service.answer_dispute(
        caller.institution_id, dispute_id, body.outcome, correction=body.correction, note=body.note
    )
    return encode(answered)


@router.post("/notices/query", summary="What the person was told about disputes over the caller's records")
def notices(body: NoticeQuery, service: Service, caller: Caller) -> Any:
    return encode(service.outcome_notices(body.id_number, institution_id=caller.institution_id))
