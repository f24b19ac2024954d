"""The compliance officer's disputes: what people dispute about fairlend's records at the bureau, with the clock.

A person disputes a record of fairlend's at the credit bureau (directly, or
through fairlend's credit page); the bureau marks it at once and fairlend, as
the institution that reported it, must answer in writing by the profile's
deadline (CN-15: 20 days; CR-7: 30, or 45 when the person added information).
Unanswered past it, the bureau suppresses the record. While a dispute is open
collections pauses contacts about the loan (P-3).

The officer answers through fairlend's own bureau client (`bureau_access`):
verified (the record stands), deleted, or corrected with the disputed month's
balance, amount overdue and days overdue. Nearest deadline first; a missed one
is marked.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import COMPLIANCE_READERS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.bureau.client import BureauClient, DisputeMark
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.money import Money
from fairlend.web.collector import masked_name
from fairlend.web.rendering import Csrf, check_csrf, error_text, operator, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/operator/compliance/disputes"
OUTCOMES = ("verified", "corrected", "deleted")


def _bureau(container: Container) -> BureauClient:
    if container.bureau_access is None:
        raise NotFound("bureau_not_wired", "no credit bureau is wired to this platform")
    return container.bureau_access()


def _borrower(container: Container, loan_id: str) -> str:
    """The disputed account is one of fairlend's loans (reported under its id): whose, masked."""
    try:
        return masked_name(container, container.lending.loan_facts(loan_id).borrower_id)
    except DomainError:
        return ""


def _page(request: Request, container: Container, *, status_code: int = 200, **extra: Any) -> HTMLResponse:
    today = container.clock.business_date()
    disputes: list[DisputeMark] = sorted(_bureau(container).open_disputes(), key=lambda d: (d.deadline, d.dispute_id))
    return render(
        request,
        container,
        "collections/disputes.html",
        status_code=status_code,
        disputes=disputes,
        today=today,
        days_left={d.dispute_id: (d.deadline - today).days for d in disputes},
        names={d.account_ref: _borrower(container, d.account_ref) for d in disputes},
        outcomes=OUTCOMES,
        done=request.query_params.get("done", ""),
        **extra,
    )


@router.get(PAGE, response_class=HTMLResponse)
def disputes_page(request: Request, container: ContainerDep) -> HTMLResponse:
    operator(request, container, COMPLIANCE_READERS)
    return _page(request, container)


def _minor(text: str, currency: str, field: str) -> int:
    try:
        amount = Money.parse(text.strip() or "0", currency, grouping=True)
    except DomainError:
        raise Invalid("invalid_amount", f"{field}: enter an amount such as 1,250.00") from None
    if amount.minor < 0:
        raise Invalid("invalid_amount", f"{field}: an amount is never negative")
    return amount.minor


def correction_of(container: Container, balance: str, overdue: str, days: str) -> dict[str, Any]:
    """The corrected month as the bureau's correction record carries it (docs/bureau-reporting.md)."""
    currency = container.profile.currency
    try:
        days_overdue = int(days.strip() or "0")
    except ValueError:
        raise Invalid("invalid_days_overdue", "days overdue is a whole number") from None
    if days_overdue < 0:
        raise Invalid("invalid_days_overdue", "days overdue is never negative")
    return {
        "balance": _minor(balance, currency, "balance"),
        "amount_overdue": _minor(overdue, currency, "amount_overdue"),
        "days_overdue": days_overdue,
    }


@router.post(PAGE + "/{dispute_id}/answer", response_model=None)
def answer_dispute(
    request: Request,
    container: ContainerDep,
    dispute_id: str,
    outcome: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    balance: Annotated[str, Form()] = "",
    amount_overdue: Annotated[str, Form()] = "",
    days_overdue: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    operator(request, container, COMPLIANCE_READERS)
    check_csrf(request, csrf)
    try:
        if outcome not in OUTCOMES:
            raise Invalid("invalid_outcome", "choose verified, corrected or deleted")
        if not note.strip():
            raise Invalid("dispute_note_required", "say in writing what was checked: the person is told")
        correction = correction_of(container, balance, amount_overdue, days_overdue) if outcome == "corrected" else None
        _bureau(container).answer_dispute(dispute_id, outcome, correction=correction, note=note.strip())
    except DomainError as exc:
        return _page(request, container, status_code=422, error=error_text(request, container, exc), failed=dispute_id)
    return redirect(f"{PAGE}?done={outcome}")


def dispute_counts(container: Container) -> tuple[int, int] | None:
    """(open, past their deadline) for the compliance page's link; None with no bureau wired."""
    if container.bureau_access is None:
        return None
    today = container.clock.business_date()
    disputes = container.bureau_access().open_disputes()
    return len(disputes), sum(1 for d in disputes if d.deadline < today)
