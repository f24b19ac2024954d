"""The borrower's contact persons, managed in the portal (issue #14).

One person at a time, never a list (P-1): name, relation and their number;
they are asked through the contact gateway to confirm with a code on their own
phone and exist for collections only once they have; the borrower can ask
again or withdraw them at any time.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.collections.service import CollectionsService
from fairlend.errors import DomainError
from fairlend.identity.model import Principal
from fairlend.web.rendering import Csrf, borrower, check_csrf, error_text, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/borrower/contact-persons"


def _service(container: Container) -> CollectionsService:
    assert container.collections is not None, "collections is wired in bootstrap"
    return container.collections.service


def _page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    people = _service(container).contact_persons(who.subject_id)
    return render(request, container, "collections/contact_persons.html", people=people, **context)


@router.get(PAGE, response_class=HTMLResponse)
def contact_persons_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _page(request, container, borrower(request, container))


@router.post(PAGE, response_model=None)
def name_contact_person(
    request: Request,
    container: ContainerDep,
    name: Annotated[str, Form(max_length=80)],
    relation: Annotated[str, Form(max_length=40)],
    phone: Annotated[str, Form(max_length=25)],
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    try:
        _service(container).name_contact_person(who.subject_id, name, relation, phone)
    except DomainError as exc:
        form = {"name": name, "relation": relation}  # never the number back: it is someone else's
        return _page(request, container, who, error=error_text(request, container, exc), form=form, status_code=422)
    return redirect(f"{PAGE}?asked=1")


@router.post(PAGE + "/{contact_id}/{action}", response_model=None)
def change_contact_person(
    request: Request, container: ContainerDep, contact_id: str, action: str, csrf: Csrf = None
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    try:
        if action == "withdraw":
            _service(container).revoke_contact_person(who.subject_id, contact_id)
        elif action == "ask-again":
            _service(container).resend_contact_code(who.subject_id, contact_id)
        else:
            return _page(request, container, who, status_code=404)
    except DomainError as exc:
        return _page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return redirect(f"{PAGE}?{'withdrawn' if action == 'withdraw' else 'asked'}=1")
