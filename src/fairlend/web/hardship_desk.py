"""The operators' hardship desk: the queue by deadline, a request with the borrower's statement,
previewing and proposing terms, maker-checker approval, and the decline with reason codes.

Reading is for `HARDSHIP_READERS` (compliance too, to see the clocks);
acting for `HARDSHIP_OFFICERS`, as in the API. One terms form serves both
the preview (computed, nothing written) and the proposal: its two buttons
post the same fields to `/preview` and `/propose`. A proposal whose
concessions are above the profile's threshold waits for a second operator;
the maker's own approval is refused by the service (`approver_is_proposer`)
and the page says so. Every problem with a proposal is listed in words with
the rule it names. A request's evidence files are listed with a download
link; each download goes through `hardship.evidence.read`, which writes the
personal-data audit row in the transaction that opens the file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import HARDSHIP_OFFICERS, HARDSHIP_READERS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.hardship.model import DeclineReason, Kind, Outcome, Problem, Terms
from fairlend.hardship.views import RequestView
from fairlend.identity.certificates import served_headers
from fairlend.lending.model import Method
from fairlend.money import Money
from fairlend.web.hardship import error_text, money
from fairlend.web.rendering import Csrf, PageRedirect, check_csrf, operator, redirect, render

router = APIRouter(include_in_schema=False)
DESK = "/operator/hardship"
TERMS_FIELDS = (
    "periods",
    "extra_periods",
    "method",
    "installment",
    "amount",
    "pay_by",
    "first_due",
    "rate",
    "waive_interest",
    "waive_fees",
    "waive_penalty",
)


@router.get(DESK, response_class=HTMLResponse)
def queue(request: Request, container: ContainerDep) -> HTMLResponse:
    """Open requests, the nearest deadline first; a missed one is marked."""
    operator(request, container, HARDSHIP_READERS)
    return render(request, container, "hardship/desk.html", queue=container.hardship.queue())


def _request(container: Container, request_id: str) -> RequestView:
    try:
        return container.hardship.request(request_id)
    except NotFound:
        raise PageRedirect(DESK) from None


def _page(
    request: Request,
    container: Container,
    view: RequestView,
    *,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    who = operator(request, container, HARDSHIP_READERS)
    rules = container.profile.hardship
    return render(
        request,
        container,
        "hardship/desk_request.html",
        status_code=status_code,
        req=view,
        facts=container.lending.loan_facts(view.loan_id),
        money=money,
        me=who.subject_id,
        may_act=who.role in HARDSHIP_OFFICERS,
        kinds=list(Kind),
        methods=[Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL],
        decline_reasons=list(DeclineReason),
        threshold=Money(rules.approval_threshold_minor, view.currency),
        typed=typed or {"plan_kind": view.kind.value},
        done=request.query_params.get("done", ""),
        **context,
    )


@router.get(DESK + "/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, container: ContainerDep, request_id: str) -> HTMLResponse:
    operator(request, container, HARDSHIP_READERS)
    return _page(request, container, _request(container, request_id))


@router.get(DESK + "/evidence/{evidence_id}")
def evidence_file(request: Request, container: ContainerDep, evidence_id: str) -> Response:
    """A borrower's file, as an attachment; the service writes the reading to the personal-data audit log."""
    who = operator(request, container, HARDSHIP_READERS)
    try:
        opened = container.hardship.evidence.read(evidence_id, actor_id=who.subject_id, actor_role=who.role.value)
    except NotFound:
        raise PageRedirect(DESK) from None
    kind = opened.view.content_type
    return Response(opened.content, media_type=kind, headers=served_headers(evidence_id, kind))


# ---- terms ---------------------------------------------------------------------------------------


def _whole(text: str, name: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        raise Invalid("terms_invalid", f"{name}: a whole number of periods")
    return int(text)


def _minor(text: str, currency: str) -> int:
    if not text.strip():
        return 0
    amount = Money.parse(text, currency, grouping=True)
    if amount.minor < 0:
        raise Invalid("waiver_negative", "an amount is never negative")
    return amount.minor


def _day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid("terms_invalid", "a date such as 2026-04-20") from None


def _rate(text: str) -> Decimal | None:
    """A yearly rate typed in percent ("12" is 12 %), as the fraction the model takes."""
    text = text.strip().replace("%", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid("rate_invalid", "a yearly rate in percent, such as 12") from None
    if not value.is_finite() or value < 0 or value > 1000:
        raise Invalid("rate_invalid", "a yearly rate in percent, such as 12")
    return value / 100


def terms_of(form: dict[str, str], currency: str) -> Terms:
    """The terms form's fields (text as typed) as `Terms`; a field that does not parse is refused."""
    kind = form.get("plan_kind", "")
    if kind not in {k.value for k in Kind}:
        raise Invalid("plan_kind_invalid", "choose one of the kinds of plan")
    method = form.get("method", "").strip()
    if method and method not in {m.value for m in Method}:
        raise Invalid("method_invalid", "equal installments or equal principal")
    return Terms(
        kind=Kind(kind),
        periods=_whole(form.get("periods", ""), "periods"),
        extra_periods=_whole(form.get("extra_periods", ""), "extra_periods"),
        method=Method(method) if method else None,
        installment=_minor(form.get("installment", ""), currency),
        amount=_minor(form.get("amount", ""), currency),
        pay_by=_day(form.get("pay_by", "")),
        first_due=_day(form.get("first_due", "")),
        rate=_rate(form.get("rate", "")),
        waive_interest=_minor(form.get("waive_interest", ""), currency),
        waive_fees=_minor(form.get("waive_fees", ""), currency),
        waive_penalty=_minor(form.get("waive_penalty", ""), currency),
    )


def problems_of(exc: DomainError) -> list[Problem]:
    """A refused proposal's problems (every one, `extra["problems"]`), or the refusal itself as one."""
    listed = exc.extra.get("problems") or []
    found = [Problem(str(p.get("code", "")), str(p.get("detail", "")), str(p.get("rule", ""))) for p in listed]
    return found or [Problem(exc.code, exc.detail, "")]


Text = Annotated[str, Form()]


def _typed(plan_kind: str, fields: dict[str, str]) -> dict[str, str]:
    return {"plan_kind": plan_kind, **{k: v[:40] for k, v in fields.items()}}


@router.post(DESK + "/requests/{request_id}/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    container: ContainerDep,
    request_id: str,
    plan_kind: Text,
    periods: Text = "",
    extra_periods: Text = "",
    method: Text = "",
    installment: Text = "",
    amount: Text = "",
    pay_by: Text = "",
    first_due: Text = "",
    rate: Text = "",
    waive_interest: Text = "",
    waive_fees: Text = "",
    waive_penalty: Text = "",
    csrf: Csrf = None,
) -> HTMLResponse:
    """What the terms come to on the loan today, problems and all; nothing is written."""
    operator(request, container, HARDSHIP_OFFICERS)
    check_csrf(request, csrf)
    view = _request(container, request_id)
    values = dict(zip(TERMS_FIELDS, (periods, extra_periods, method, installment, amount, pay_by, first_due, rate,
                                     waive_interest, waive_fees, waive_penalty), strict=True))  # fmt: skip
    typed = _typed(plan_kind, values)
    try:
        outcome: Outcome = container.hardship.preview(view.loan_id, terms_of(typed, view.currency))
    except DomainError as exc:
        return _page(request, container, view, status_code=422, typed=typed, error=error_text(request, container, exc))
    return _page(request, container, view, typed=typed, outcome=outcome)


@router.post(DESK + "/requests/{request_id}/propose", response_model=None)
def propose(
    request: Request,
    container: ContainerDep,
    request_id: str,
    plan_kind: Text,
    periods: Text = "",
    extra_periods: Text = "",
    method: Text = "",
    installment: Text = "",
    amount: Text = "",
    pay_by: Text = "",
    first_due: Text = "",
    rate: Text = "",
    waive_interest: Text = "",
    waive_fees: Text = "",
    waive_penalty: Text = "",
    csrf: Csrf = None,
) -> Response:
    """Offer the terms: refused with every problem listed (nothing written), or made, waiting for approval above
    the threshold."""
    who = operator(request, container, HARDSHIP_OFFICERS)
    check_csrf(request, csrf)
    view = _request(container, request_id)
    values = dict(zip(TERMS_FIELDS, (periods, extra_periods, method, installment, amount, pay_by, first_due, rate,
                                     waive_interest, waive_fees, waive_penalty), strict=True))  # fmt: skip
    typed = _typed(plan_kind, values)
    try:
        made = container.hardship.propose(request_id, terms_of(typed, view.currency), who.subject_id)
    except DomainError as exc:
        status = exc.status if 400 <= exc.status < 500 else 422
        return _page(
            request,
            container,
            view,
            status_code=status,
            typed=typed,
            error=error_text(request, container, exc),
            problems=problems_of(exc) if "problems" in exc.extra else [],
        )
    done = "awaiting_approval" if made.needs_approval else "offered"
    return redirect(f"{DESK}/requests/{request_id}?done={done}")


# ---- the checker, the decline ----------------------------------------------------------------------


def _check(request: Request, container: Container, proposal_id: str, request_id: str, *, approve: bool) -> Response:
    who = operator(request, container, HARDSHIP_OFFICERS)
    view = _request(container, request_id)
    if proposal_id not in {p.proposal_id for p in view.proposals}:
        raise PageRedirect(DESK)
    try:
        if approve:
            container.hardship.approve(proposal_id, who.subject_id)
        else:
            container.hardship.reject(proposal_id, who.subject_id)
    except DomainError as exc:
        status = exc.status if 400 <= exc.status < 500 else 409
        fresh = _request(container, request_id)
        return _page(request, container, fresh, status_code=status, error=error_text(request, container, exc))
    return redirect(f"{DESK}/requests/{request_id}?done={'approved' if approve else 'rejected'}")


@router.post(DESK + "/requests/{request_id}/proposals/{proposal_id}/approve", response_model=None)
def approve(
    request: Request, container: ContainerDep, request_id: str, proposal_id: str, csrf: Csrf = None
) -> Response:
    operator(request, container, HARDSHIP_OFFICERS)
    check_csrf(request, csrf)
    return _check(request, container, proposal_id, request_id, approve=True)


@router.post(DESK + "/requests/{request_id}/proposals/{proposal_id}/reject", response_model=None)
def reject(request: Request, container: ContainerDep, request_id: str, proposal_id: str, csrf: Csrf = None) -> Response:
    operator(request, container, HARDSHIP_OFFICERS)
    check_csrf(request, csrf)
    return _check(request, container, proposal_id, request_id, approve=False)


@router.post(DESK + "/requests/{request_id}/decline", response_model=None)
def decline(
    request: Request,
    container: ContainerDep,
    request_id: str,
    reasons: Annotated[list[str] | None, Form()] = None,
    csrf: Csrf = None,
) -> Response:
    who = operator(request, container, HARDSHIP_OFFICERS)
    check_csrf(request, csrf)
    view = _request(container, request_id)
    try:
        known = {r.value for r in DeclineReason}
        if any(r not in known for r in reasons or []):
            raise Invalid("decline_reason_invalid", "choose reasons from the list")
        container.hardship.decline(request_id, who.subject_id, [DeclineReason(r) for r in reasons or []])
    except DomainError as exc:
        status = exc.status if 400 <= exc.status < 500 else 422
        return _page(request, container, view, status_code=status, error=error_text(request, container, exc))
    return redirect(f"{DESK}/requests/{request_id}?done=declined")
