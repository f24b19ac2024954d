"""The underwriters' queue: applications the model referred, decided by an operator with a note.

A refusal (an unknown decision, a note too long, a port not wired) is shown on the queue in the
page's language, never a 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import UNDERWRITERS
from fairlend.api.deps import ContainerDep
from fairlend.api.routers.scoring import origination_of
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid
from fairlend.web.rendering import Csrf, check_csrf, error_text, operator, redirect, render

router = APIRouter(include_in_schema=False)


def _queue_page(request: Request, container: Container, **context: Any) -> HTMLResponse:
    try:
        queue = origination_of(container).queue()
    except DomainError as exc:
        queue, context["error"] = [], error_text(request, container, exc)
    return render(request, container, "origination/queue.html", queue=queue, **context)


@router.get("/operator/applications", response_class=HTMLResponse)
def queue_page(request: Request, container: ContainerDep) -> HTMLResponse:
    operator(request, container, UNDERWRITERS)
    return _queue_page(request, container)


@router.post("/operator/applications/{application_id}", response_model=None)
def underwrite(
    request: Request,
    container: ContainerDep,
    application_id: str,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = operator(request, container, UNDERWRITERS)
    check_csrf(request, csrf)
    try:
        if decision not in ("approve", "decline"):
            raise Invalid("decision_unknown", "approve or decline")
        if len(note) > 2000:
            raise Invalid("note_too_long", "a note has at most 2000 characters")
        origination_of(container).underwrite(application_id, who.subject_id, approve=decision == "approve", note=note)
    except DomainError as exc:
        return _queue_page(request, container, error=error_text(request, container, exc), status_code=422)
    return redirect(f"/operator/applications?decided={application_id}")
