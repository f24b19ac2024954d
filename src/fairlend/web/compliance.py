"""The compliance officer's workspace: complaints with their clocks, blocked attempts, the audit log.

Compliance officers and admins (api/auth.py `COMPLIANCE_READERS`). A complaint
is acknowledged, answered, or extended once (with a reason the borrower is
told) within the profile's clocks (collections/complaints.py; CN-22, US-19);
a missed deadline is marked on the list and the page. Hardship requests
answered after the profile's deadline, or unanswered past it, are listed
with the rule they break (P-11; hardship/deadlines.py through the service). Blocked attempts are
counted by rule and by collector. The personal-data audit log is identity's
page (/operator/audit), linked here, not repeated.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import COMPLIANCE_READERS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.collections.complaints import ComplaintService
from fairlend.collections.model import ComplaintStatus
from fairlend.collections.views import explain
from fairlend.errors import DomainError
from fairlend.web.collector import masked_name
from fairlend.web.compliance_disputes import dispute_counts
from fairlend.web.rendering import Csrf, check_csrf, error_text, operator, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/operator/compliance"


def _complaints(container: Container) -> ComplaintService:
    assert container.collections is not None
    return container.collections.complaints


@router.get(PAGE, response_class=HTMLResponse)
def compliance_page(request: Request, container: ContainerDep, status: str = "") -> HTMLResponse:
    """Complaints with their clocks (missed deadlines first), and blocked attempts per rule and per collector."""
    operator(request, container, COMPLIANCE_READERS)
    assert container.collections is not None
    per_rule, per_collector = container.collections.service.blocked_summary()
    by_status, ack_breaches, answer_breaches = _complaints(container).sla_summary()
    wanted = ComplaintStatus(status) if status in {s.value for s in ComplaintStatus} else None
    complaints = _complaints(container).list(status=wanted)
    # Missed deadlines first, then the nearest clock: what must be done today is on top.
    complaints.sort(
        key=lambda v: (not (v.ack_breached or v.answer_breached) or v.answered_at is not None, v.answer_due)
    )
    # Hardship requests answered late or not at all (P-11), unanswered and the latest first.
    hardship_flags = container.hardship.missed_deadlines()
    return render(
        request,
        container,
        "collections/compliance.html",
        per_rule=per_rule,
        per_collector=per_collector,
        explained={r.rule: r for r in explain(tuple(per_rule))},
        by_status=by_status,
        ack_breaches=ack_breaches,
        answer_breaches=answer_breaches,
        complaints=complaints,
        disputes=dispute_counts(container),
        hardship_flags=hardship_flags,
        names={
            b: masked_name(container, b)
            for b in {v.borrower_id for v in complaints} | {f.borrower_id for f in hardship_flags}
        },
        status=status,
        statuses=[s.value for s in ComplaintStatus],
    )


def _complaint(request: Request, container: Container, complaint_id: str, **extra: Any) -> HTMLResponse:
    view = _complaints(container).get(complaint_id)
    clocks = container.profile.collections.complaints
    return render(
        request,
        container,
        "collections/complaint.html",
        c=view,
        name=masked_name(container, view.borrower_id),
        clocks=clocks,
        **extra,
    )


@router.get(PAGE + "/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(request: Request, container: ContainerDep, complaint_id: str) -> HTMLResponse:
    operator(request, container, COMPLIANCE_READERS)
    return _complaint(request, container, complaint_id)


def _act(request: Request, container: Container, complaint_id: str, what: str, text: str) -> Response:
    who = operator(request, container, COMPLIANCE_READERS)
    service = _complaints(container)
    try:
        if what == "acknowledge":
            service.acknowledge(complaint_id, who.subject_id)
        elif what == "extend":
            service.extend(complaint_id, who.subject_id, text)
        else:
            service.answer(complaint_id, who.subject_id, text)
    except DomainError as exc:
        return _complaint(request, container, complaint_id, error=error_text(request, container, exc))
    return redirect(f"{PAGE}/complaints/{complaint_id}?done={what}")


@router.post(PAGE + "/complaints/{complaint_id}/acknowledge", response_model=None)
def acknowledge(request: Request, container: ContainerDep, complaint_id: str, csrf: Csrf = None) -> Response:
    operator(request, container, COMPLIANCE_READERS)
    check_csrf(request, csrf)
    return _act(request, container, complaint_id, "acknowledge", "")


@router.post(PAGE + "/complaints/{complaint_id}/extend", response_model=None)
def extend(
    request: Request,
    container: ContainerDep,
    complaint_id: str,
    reason: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    operator(request, container, COMPLIANCE_READERS)
    check_csrf(request, csrf)
    return _act(request, container, complaint_id, "extend", reason)


@router.post(PAGE + "/complaints/{complaint_id}/answer", response_model=None)
def answer(
    request: Request,
    container: ContainerDep,
    complaint_id: str,
    answer: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    operator(request, container, COMPLIANCE_READERS)
    check_csrf(request, csrf)
    return _act(request, container, complaint_id, "answer", answer)
