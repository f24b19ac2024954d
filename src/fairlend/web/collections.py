"""Collections pages: the borrower's "contacts about me", with both remedies as buttons.

Every attempt about the borrower's loans (blocked ones too, with the rule that
stopped each in the page's language), a request to stop (all, a medium, a
number), a complaint with its clocks, and the evidence package for each loan.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.collections.model import ComplaintCategory, Medium
from fairlend.collections.service import CollectionsService
from fairlend.errors import DomainError, Invalid
from fairlend.identity.model import Principal
from fairlend.jurisdiction.model import CeaseScope
from fairlend.web.rendering import Csrf, borrower, check_csrf, error_text, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/borrower/contacts"


def _service(container: Container) -> CollectionsService:
    assert container.collections is not None
    return container.collections.service


def _page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    assert container.collections is not None
    contacts = _service(container).contacts_about(who.subject_id)
    loans = sorted({c.loan_id for c in contacts})
    return render(
        request,
        container,
        "collections/contacts.html",
        contacts=contacts,
        blocked=sum(1 for c in contacts if c.outcome == "blocked"),
        loans=loans,
        cease=_service(container).cease_requests(who.subject_id),
        complaints=container.collections.complaints.list(borrower_id=who.subject_id),
        categories=list(ComplaintCategory),
        media=list(Medium),
        scopes=[s.value for s in container.profile.collections.cease_scopes],
        chain_problem=_service(container).verify_borrower(who.subject_id),
        **context,
    )


@router.get(PAGE, response_class=HTMLResponse)
def contacts_page(request: Request, container: ContainerDep) -> HTMLResponse:
    who = borrower(request, container)
    return _page(request, container, who)


@router.post(f"{PAGE}/cease", response_model=None)
def cease(
    request: Request,
    container: ContainerDep,
    scope: Annotated[str, Form()],
    medium: Annotated[str, Form()] = "",
    number: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    try:
        if scope not in {s.value for s in CeaseScope}:
            raise Invalid("cease_scope_unsupported", f"no such scope {scope!r}")
        _service(container).request_cease(
            who.subject_id,
            CeaseScope(scope),
            medium=Medium(medium) if medium in {m.value for m in Medium} else None,
            number=number or None,
        )
    except DomainError as exc:
        return _page(request, container, who, error=error_text(request, container, exc))
    return redirect(f"{PAGE}?stopped=1")


@router.post(f"{PAGE}/complaint", response_model=None)
def complain(
    request: Request,
    container: ContainerDep,
    loan_id: Annotated[str, Form()],
    category: Annotated[str, Form()],
    text: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    assert container.collections is not None
    try:
        if category not in {c.value for c in ComplaintCategory}:
            raise Invalid("complaint_category", f"no such category {category!r}")
        container.collections.complaints.file(who.subject_id, loan_id, ComplaintCategory(category), text)
    except DomainError as exc:
        return _page(request, container, who, error=error_text(request, container, exc))
    return redirect(f"{PAGE}?complained=1")


@router.get(f"{PAGE}/evidence/{{loan_id}}.pdf")
def evidence(request: Request, container: ContainerDep, loan_id: str, lang: str = "zh-CN") -> Response:
    who = borrower(request, container)
    pdf = _service(container).evidence_pdf(who.subject_id, loan_id, "en" if lang == "en" else "zh-CN")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="evidence-{loan_id}.pdf"'},
    )
