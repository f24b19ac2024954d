"""Hardship plans over HTTP: the borrower asks and accepts, operators propose, approve and decline.

Thin: parse, call `container.hardship` (hardship/service.py, plans.py), render.
Amounts are major units as decimal text in the loan's currency, and come back
with their minor units. Every refusal is problem+json with the service's
stable code (and, for a proposal, `problems`: every one found); nothing is
written on a refusal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, File, Response, UploadFile

from fairlend.api.auth import HARDSHIP_OFFICERS, HARDSHIP_READERS, Authenticated, ensure_can_read_owned, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.routers.hardship_models import (
    AcceptCreate,
    DeadlineFlagPublic,
    DeclineCreate,
    EvidencePublic,
    OutcomePublic,
    PlanPublic,
    PreviewCreate,
    ProposalPublic,
    QueueItemPublic,
    RequestCreate,
    RequestPublic,
    TermsCreate,
)
from fairlend.errors import Forbidden
from fairlend.identity.certificates import served_headers
from fairlend.identity.checks import MAX_CERTIFICATE_BYTES
from fairlend.identity.model import Principal, Role
from fairlend.money import Money

router = APIRouter(prefix="/hardship", tags=["hardship"])

Officer = Annotated[Principal, Depends(require_roles(*HARDSHIP_OFFICERS))]
Reader = Annotated[Principal, Depends(require_roles(*HARDSHIP_READERS))]


# -- the borrower ----------------------------------------------------------------------------------


def _borrower_scope(principal: Principal) -> str | None:
    """A borrower sees only their own requests (others' look missing); readers see every one."""
    if principal.role is Role.BORROWER:
        return principal.subject_id
    if principal.role not in HARDSHIP_READERS:
        raise Forbidden("role_not_allowed", "hardship requests are read by their borrower and hardship staff")
    return None


@router.post("/requests", status_code=201, response_model=RequestPublic)
def file_request(
    body: RequestCreate, principal: Authenticated, container: ContainerDep, key: IdempotencyKey = None
) -> RequestPublic:
    """A borrower asks for a plan on their own loan; the profile's answer deadline starts."""
    if principal.role is not Role.BORROWER:
        raise Forbidden("not_yours", "only the borrower asks for a hardship plan")
    stated = body.monthly_income is not None or body.monthly_expenses is not None
    currency = container.lending.loan_facts(body.loan_id).currency if stated else ""

    def minor(value: Decimal | None) -> int | None:
        return Money.of(value, currency).minor if value is not None else None

    view = container.hardship.file_request(
        principal.subject_id,
        body.loan_id,
        body.kind,
        body.reason,
        income=minor(body.monthly_income),
        expenses=minor(body.monthly_expenses),
    )
    return RequestPublic.of(view)


@router.get("/borrowers/{borrower_id}/requests", response_model=list[RequestPublic])
def borrower_requests(borrower_id: str, principal: Authenticated, container: ContainerDep) -> list[RequestPublic]:
    ensure_can_read_owned(principal, borrower_id, operator_roles=HARDSHIP_READERS)
    return [RequestPublic.of(v) for v in container.hardship.requests_of(borrower_id)]


@router.get("/requests/{request_id}", response_model=RequestPublic)
def get_request(request_id: str, principal: Authenticated, container: ContainerDep) -> RequestPublic:
    """The request, its clock and proposals; the offer's numbers as of today, with the fingerprint to accept."""
    return RequestPublic.of(container.hardship.request(request_id, borrower_id=_borrower_scope(principal)))


@router.post("/requests/{request_id}/evidence", status_code=201, response_model=EvidencePublic)
def add_evidence(
    request_id: str,
    principal: Authenticated,
    container: ContainerDep,
    file: Annotated[UploadFile, File(description=f"PDF, JPEG or PNG, at most {MAX_CERTIFICATE_BYTES} bytes")],
    key: IdempotencyKey = None,
) -> EvidencePublic:
    """The borrower adds a file to their own open request (optional: a request stands on its reason code)."""
    if principal.role is not Role.BORROWER:
        raise Forbidden("not_yours", "only the borrower adds evidence to their request")
    # One byte more than allowed is enough to refuse it as too large, without reading the rest.
    content = file.file.read(MAX_CERTIFICATE_BYTES + 1)
    added = container.hardship.evidence.upload(
        principal.subject_id, request_id, content, claimed_type=file.content_type, filename=file.filename
    )
    return EvidencePublic.of(added)


@router.get("/requests/{request_id}/evidence", response_model=list[EvidencePublic])
def evidence_list(request_id: str, principal: Authenticated, container: ContainerDep) -> list[EvidencePublic]:
    """A request's files, what they are; the borrower sees their own."""
    found = container.hardship.evidence.list_for(request_id, borrower_id=_borrower_scope(principal))
    return [EvidencePublic.of(e) for e in found]


@router.post("/proposals/{proposal_id}/accept", status_code=201, response_model=PlanPublic)
def accept(
    proposal_id: str, body: AcceptCreate, principal: Authenticated, container: ContainerDep, key: IdempotencyKey = None
) -> PlanPublic:
    """The borrower accepts the offer whose numbers they saw; the loan's schedule changes in this call."""
    require_key(key)
    if principal.role is not Role.BORROWER:
        raise Forbidden("not_yours", "only the borrower accepts a plan")
    plan = container.hardship.accept(proposal_id, principal.subject_id, body.fingerprint, body.consent_version)
    return PlanPublic.of(plan)


@router.get("/loans/{loan_id}/plans", response_model=list[PlanPublic])
def loan_plans(loan_id: str, principal: Authenticated, container: ContainerDep) -> list[PlanPublic]:
    owner = container.lending.loan_facts(loan_id).borrower_id
    the_owner_or_reader(principal, owner)
    return [PlanPublic.of(p) for p in container.hardship.plans_of_loan(loan_id)]


def the_owner_or_reader(principal: Principal, owner: str) -> None:
    ensure_can_read_owned(principal, owner, operator_roles=HARDSHIP_READERS)


# -- operators -------------------------------------------------------------------------------------


@router.get("/queue", response_model=list[QueueItemPublic])
def queue(principal: Reader, container: ContainerDep) -> list[QueueItemPublic]:
    """Open requests, the nearest answer deadline first (a missed one has days_left < 0)."""
    return [QueueItemPublic.of(q) for q in container.hardship.queue()]


@router.get("/deadlines", response_model=list[DeadlineFlagPublic])
def deadlines(principal: Reader, container: ContainerDep) -> list[DeadlineFlagPublic]:
    """Requests answered after the profile's deadline or unanswered past it, naming the rule (compliance)."""
    return [DeadlineFlagPublic.of(f) for f in container.hardship.missed_deadlines()]


@router.get(
    "/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def evidence_file(evidence_id: str, principal: Reader, container: ContainerDep) -> Response:
    """One file, for hardship staff; each reading is in the personal-data audit log (who, whose, which, when)."""
    opened = container.hardship.evidence.read(
        evidence_id, actor_id=principal.subject_id, actor_role=principal.role.value
    )
    kind = opened.view.content_type
    return Response(opened.content, media_type=kind, headers=served_headers(evidence_id, kind))


@router.post("/previews", response_model=OutcomePublic)
def preview(body: PreviewCreate, principal: Officer, container: ContainerDep) -> OutcomePublic:
    """What terms would come to on a loan today, problems included; nothing is written."""
    currency = container.lending.loan_facts(body.loan_id).currency
    return OutcomePublic.of(container.hardship.preview(body.loan_id, body.terms(currency)), currency)


@router.post("/requests/{request_id}/proposals", status_code=201, response_model=ProposalPublic)
def propose(
    request_id: str, body: TermsCreate, principal: Officer, container: ContainerDep, key: IdempotencyKey = None
) -> ProposalPublic:
    currency = container.hardship.request(request_id).currency
    proposal = container.hardship.propose(request_id, body.terms(currency), principal.subject_id)
    return ProposalPublic.of(proposal, currency)


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalPublic)
def approve(
    proposal_id: str, principal: Officer, container: ContainerDep, key: IdempotencyKey = None
) -> ProposalPublic:
    """Maker-checker: another operator than the proposer; of two at once, one wins (409 for the other)."""
    proposal = container.hardship.approve(proposal_id, principal.subject_id)
    return ProposalPublic.of(proposal, container.hardship.request(proposal.request_id).currency)


@router.post("/proposals/{proposal_id}/reject", response_model=ProposalPublic)
def reject(proposal_id: str, principal: Officer, container: ContainerDep, key: IdempotencyKey = None) -> ProposalPublic:
    proposal = container.hardship.reject(proposal_id, principal.subject_id)
    return ProposalPublic.of(proposal, container.hardship.request(proposal.request_id).currency)


@router.post("/requests/{request_id}/decline", response_model=RequestPublic)
def decline(
    request_id: str, body: DeclineCreate, principal: Officer, container: ContainerDep, key: IdempotencyKey = None
) -> RequestPublic:
    return RequestPublic.of(container.hardship.decline(request_id, principal.subject_id, body.reasons))
