"""The month-end close in the console: the checklist, the close button, reopening by two operators, exports.

Finance operators only (api/auth.py `FINANCE_OFFICERS`). Closing runs
`finance.closing.close` (a closed month answers as it was: pressing twice
changes nothing). Reopening the latest closed month is asked by one operator
and decided by another; the asker's own approval is refused by the service
(`four_eyes_required`) and the page says so in words. Every form carries the
CSRF token; a refusal re-renders the page with the reason, nothing written.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import FINANCE_OFFICERS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.finance.model import Period, parse_month
from fairlend.web.finance import DESK, default_month, money, month_or_default
from fairlend.web.rendering import Csrf, check_csrf, error_text, operator, redirect, render

router = APIRouter(include_in_schema=False)
CLOSE = DESK + "/close"
EXPORTS = {
    "beancount": ("text/plain; charset=utf-8", "books-{}.beancount"),
    "journal_csv": ("text/csv; charset=utf-8", "journal-{}.csv"),
    "statements_csv": ("text/csv; charset=utf-8", "statements-{}.csv"),
}


def _page(request: Request, container: Container, month: str, *, status_code: int = 200, **extra: Any) -> HTMLResponse:
    closing = container.finance.closing
    period = month_or_default(container, month)
    closed = closing.months()
    return render(
        request,
        container,
        "finance/close.html",
        status_code=status_code,
        month=period.label,
        period=period,
        checklist=closing.checklist(period.label),
        record=next((m for m in closed if m.month == period.label), None),
        closed=closed,
        requests=closing.requests(),
        business_date=container.clock.business_date(),
        money=money,
        **extra,
    )


@router.get(CLOSE, response_class=HTMLResponse)
def close_page(
    request: Request, container: ContainerDep, month: Annotated[str, Query(max_length=7)] = ""
) -> HTMLResponse:
    """A month's checklist (end-of-day done, provisioned, balanced, locked), closed months and reopen requests."""
    who = operator(request, container, FINANCE_OFFICERS)
    return _page(request, container, month, me=who.subject_id, done=request.query_params.get("done", ""))


def _refused(request: Request, container: Container, month: str, exc: DomainError, me: str) -> HTMLResponse:
    shown = month if _month_ok(month) else default_month(container)
    return _page(request, container, shown, status_code=exc.status, me=me, error=error_text(request, container, exc))


def _month_ok(month: str) -> bool:
    try:
        parse_month(month)
    except DomainError:
        return False
    return True


@router.post(CLOSE, response_model=None)
def close(
    request: Request, container: ContainerDep, month: Annotated[str, Form(max_length=7)], csrf: Csrf = None
) -> Response:
    who = operator(request, container, FINANCE_OFFICERS)
    check_csrf(request, csrf)
    try:
        result = container.finance.closing.close(month, who.subject_id)
    except DomainError as exc:
        return _refused(request, container, month, exc, who.subject_id)
    done = "already" if result.already_closed else "closed"
    return redirect(f"{CLOSE}?month={result.month.month}&done={done}")


@router.post(DESK + "/reopen", response_model=None)
def request_reopen(
    request: Request,
    container: ContainerDep,
    month: Annotated[str, Form(max_length=7)],
    reason: Annotated[str, Form(max_length=200)] = "",
    csrf: Csrf = None,
) -> Response:
    who = operator(request, container, FINANCE_OFFICERS)
    check_csrf(request, csrf)
    try:
        made = container.finance.closing.request_reopen(month, who.subject_id, reason)
    except DomainError as exc:
        return _refused(request, container, month, exc, who.subject_id)
    return redirect(f"{CLOSE}?month={made.month}&done=requested")


def _decide(request: Request, container: Container, request_id: str, approve: bool, csrf: str | None) -> Response:
    who = operator(request, container, FINANCE_OFFICERS)
    check_csrf(request, csrf)
    try:
        decided = container.finance.closing.decide_reopen(request_id, who.subject_id, approve=approve)
    except DomainError as exc:
        return _refused(request, container, "", exc, who.subject_id)
    return redirect(f"{CLOSE}?month={decided.month}&done={decided.status}")


@router.post(DESK + "/reopen/{request_id}/approve", response_model=None)
def approve_reopen(request: Request, container: ContainerDep, request_id: str, csrf: Csrf = None) -> Response:
    return _decide(request, container, request_id, True, csrf)


@router.post(DESK + "/reopen/{request_id}/refuse", response_model=None)
def refuse_reopen(request: Request, container: ContainerDep, request_id: str, csrf: Csrf = None) -> Response:
    return _decide(request, container, request_id, False, csrf)


@router.get(DESK + "/export", response_model=None)
def export(
    request: Request,
    container: ContainerDep,
    through: date,
    format: Literal["beancount", "journal_csv", "statements_csv"] = "beancount",
) -> Response:
    """A download: the Beancount ledger (for bean-check and Fava), the journal or a month's statements as CSV."""
    operator(request, container, FINANCE_OFFICERS)
    exports, sink = container.finance.exports, io.StringIO()
    if format == "beancount":
        exports.beancount(sink, through)
    elif format == "journal_csv":
        exports.journal_csv(sink, through)
    else:
        exports.statements_csv(sink, Period(through.replace(day=1), through))
    media_type, name = EXPORTS[format]
    disposition = f'attachment; filename="{name.format(through.isoformat())}"'
    return Response(sink.getvalue(), media_type=media_type, headers={"Content-Disposition": disposition})
