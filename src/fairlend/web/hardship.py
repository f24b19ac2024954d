"""The borrower's hardship pages: ask for a plan on a loan, follow the request, accept the offer, see the plan.

Thin edges over `container.hardship` (hardship/service.py, plans.py). A
request names a kind the profile switches on and a reason category; the
monthly income and expenses are optional and nothing else is asked (health
details are sensitive data and never required). The request page shows the
answer clock, the decision with its reasons in words, and the offer with its
numbers as of today. The accept form carries those numbers' `fingerprint`
and the consent text's version: a loan that moved since (a payment, a day's
interest) is refused with `proposal_changed` and the page shows the new
numbers to accept instead. The form also carries a one-time key
(web/once.py), so a double click accepts once. An open request takes
evidence files, one a post, with the API's checks (at most five); after a
decline or an expired offer the ask page shows the cool-down's end instead
of a form the service would refuse.

Someone else's request or plan looks exactly like a missing one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.hardship.checks import kind_enabled
from fairlend.hardship.evidence import MAX_FILES_PER_REQUEST
from fairlend.hardship.model import Kind, PlanStatus, Reason, RequestStatus
from fairlend.hardship.views import PlanView, RequestView
from fairlend.identity.checks import MAX_CERTIFICATE_BYTES
from fairlend.identity.model import Principal
from fairlend.lending.model import LoanState
from fairlend.lending.views import LoanDetail
from fairlend.money import Money
from fairlend.web.i18n import Translator
from fairlend.web.once import new_form_key, once
from fairlend.web.rendering import Csrf, PageRedirect, borrower, check_csrf, locale_of, redirect, render

router = APIRouter(include_in_schema=False)
OPEN = (RequestStatus.PENDING, RequestStatus.PROPOSED)
CLOSED_UNPLANNED = (RequestStatus.DECLINED, RequestStatus.EXPIRED)
HOME = "/borrower/hardship"
LOANS = "/borrower/loans"


def money(minor: int, currency: str) -> Money:
    """For templates: a count of minor units (hardship's numbers) as money to format in the reader's locale."""
    return Money(minor, currency)


def error_text(request: Request, container: Container, exc: DomainError) -> str:
    """A refusal in the reader's words: hardship's own text for a code other contexts share (`offer_expired`),
    else the code's error text, else the proposal problem's (hardship.problem.*)."""
    t = Translator(locale_of(request, container))
    for key in (f"hardship.error.{exc.code}", f"error.{exc.code}", f"hardship.problem.{exc.code}"):
        if t.has(key):
            return t(key)
    return exc.detail


def offered_kinds(container: Container) -> list[Kind]:
    """The kinds a borrower may ask for: those the profile switches on, in the model's order."""
    return [k for k in Kind if kind_enabled(container.profile.hardship, k)]


def _owned_loan(container: Container, who: Principal, loan_id: str) -> LoanDetail:
    try:
        detail = container.lending.loan_detail(loan_id)
    except NotFound:
        raise PageRedirect("/?denied=1") from None
    if detail.facts.borrower_id != who.subject_id:
        raise PageRedirect("/?denied=1")
    return detail


def _own_request(container: Container, who: Principal, request_id: str) -> RequestView:
    try:
        return container.hardship.request(request_id, borrower_id=who.subject_id)
    except NotFound:
        raise PageRedirect("/?denied=1") from None


def loan_hardship(container: Container, loan_id: str) -> dict[str, Any]:
    """What the loan page shows of hardship: its plans, its open request and every schedule version."""
    versions = [{**v, "rate": Decimal(v["rate"])} for v in container.lending.schedule_versions(loan_id)]
    plans = container.hardship.plans_of_loan(loan_id)
    # One version is the schedule the loan page shows already; a plan makes two.
    return {"plans": plans, "versions": versions if len(versions) > 1 else [], "money": money}


# ---- asking --------------------------------------------------------------------------------


def _ask_page(request: Request, container: Container, detail: LoanDetail, **context: Any) -> HTMLResponse:
    loan_id = detail.facts.loan_id
    mine = container.hardship.requests_of(detail.facts.borrower_id)
    # One request or plan at a time: the page points to the one there is rather than to a form that would refuse.
    open_request = next((r for r in mine if r.loan_id == loan_id and r.status in OPEN), None)
    active = next((p for p in container.hardship.plans_of_loan(loan_id) if p.status is PlanStatus.ACTIVE), None)
    return render(
        request,
        container,
        "hardship/ask.html",
        loan=detail,
        open_request=open_request,
        active_plan=active,
        # After a decline or an expired offer: the day asking works again, rather than a form it would refuse.
        cooldown_until=container.hardship.cooldown_until(loan_id),
        kinds=offered_kinds(container),
        reasons=list(Reason),
        answer_days=container.profile.hardship.answer_days,
        **context,
    )


@router.get(HOME, response_class=HTMLResponse)
def my_requests(request: Request, container: ContainerDep) -> HTMLResponse:
    who = borrower(request, container)
    requests = container.hardship.requests_of(who.subject_id)
    plans = [p for loan in dict.fromkeys(r.loan_id for r in requests) for p in container.hardship.plans_of_loan(loan)]
    return render(request, container, "hardship/mine.html", requests=requests, plans=plans)


@router.get(LOANS + "/{loan_id}/hardship", response_class=HTMLResponse)
def ask_page(request: Request, container: ContainerDep, loan_id: str) -> HTMLResponse:
    who = borrower(request, container)
    return _ask_page(request, container, _owned_loan(container, who, loan_id))


def _statement(text: str, currency: str) -> int | None:
    if not text.strip():
        return None
    amount = Money.parse(text, currency, grouping=True)
    if amount.minor < 0:
        raise Invalid("statement_negative", "income and expenses are amounts of at least 0")
    return amount.minor


@router.post(LOANS + "/{loan_id}/hardship", response_model=None)
def ask(
    request: Request,
    container: ContainerDep,
    loan_id: str,
    plan_kind: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    income: Annotated[str, Form()] = "",
    expenses: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    detail = _owned_loan(container, who, loan_id)
    try:
        if plan_kind not in {k.value for k in offered_kinds(container)}:
            raise Invalid("plan_kind_invalid", "choose one of the kinds of plan offered")
        if reason not in {r.value for r in Reason}:
            raise Invalid("reason_invalid", "choose one of the reasons listed")
        currency = detail.facts.currency
        view = container.hardship.file_request(
            who.subject_id,
            loan_id,
            Kind(plan_kind),
            Reason(reason),
            income=_statement(income, currency),
            expenses=_statement(expenses, currency),
        )
    except DomainError as exc:
        status = exc.status if 400 <= exc.status < 500 else 422
        return _ask_page(request, container, detail, error=error_text(request, container, exc), status_code=status)
    return redirect(f"{HOME}/{view.request_id}?done=asked")


# ---- the request, the offer, accepting ---------------------------------------------------------


def _request_page(
    request: Request, container: Container, view: RequestView, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return render(
        request,
        container,
        "hardship/request.html",
        status_code=status_code,
        req=view,
        offer=view.offer,
        money=money,
        consent_version=container.profile.hardship.consent_version,
        form_key=new_form_key(),
        max_files=MAX_FILES_PER_REQUEST,
        # A closed request says when the loan takes a new one: a date, or at once (a decline for "incomplete").
        cooldown_until=container.hardship.cooldown_until(view.loan_id) if view.status in CLOSED_UNPLANNED else None,
        plans=[p for p in container.hardship.plans_of_loan(view.loan_id) if p.request_id == view.request_id],
        done=request.query_params.get("done", ""),
        **context,
    )


@router.get(HOME + "/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, container: ContainerDep, request_id: str) -> HTMLResponse:
    who = borrower(request, container)
    return _request_page(request, container, _own_request(container, who, request_id))


@router.post(HOME + "/{request_id}/accept", response_model=None)
def accept(
    request: Request,
    container: ContainerDep,
    request_id: str,
    proposal_id: Annotated[str, Form()],
    fingerprint: Annotated[str, Form()],
    consent_version: Annotated[str, Form()],
    form_key: Annotated[str, Form()],
    agreed: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    view = _own_request(container, who, request_id)
    try:
        if not agreed:
            raise Invalid("plan_consent_required", "tick the box to agree to the plan")
        if proposal_id not in {p.proposal_id for p in view.proposals}:
            raise NotFound("proposal_not_found", f"no proposal {proposal_id}")
        plan_id = once(
            container,
            who,
            "hardship:accept",
            form_key,
            f"{proposal_id}\n{fingerprint}\n{consent_version}",
            lambda: container.hardship.accept(proposal_id, who.subject_id, fingerprint, consent_version).plan_id,
        )
    except DomainError as exc:
        # proposal_changed: the request page recomputes the offer on the loan today, so it shows the new numbers.
        fresh = _own_request(container, who, request_id)
        status = exc.status if 400 <= exc.status < 500 else 409
        changed = exc.code == "proposal_changed"
        return _request_page(
            request, container, fresh, status_code=status, error=error_text(request, container, exc), changed=changed
        )
    return redirect(f"{HOME}/plans/{plan_id}?done=accepted")


@router.post(HOME + "/{request_id}/evidence", response_model=None)
def add_evidence(
    request: Request,
    container: ContainerDep,
    request_id: str,
    file: Annotated[UploadFile, File()],
    csrf: Csrf = None,
) -> Response:
    """A file with one's own open request: the API's checks (one file a post, at most five a request)."""
    who = borrower(request, container)
    check_csrf(request, csrf)
    view = _own_request(container, who, request_id)
    try:
        # One byte more than allowed is enough to refuse it as too large, without reading the rest.
        content = file.file.read(MAX_CERTIFICATE_BYTES + 1)
        container.hardship.evidence.upload(
            who.subject_id, request_id, content, claimed_type=file.content_type, filename=file.filename
        )
    except DomainError as exc:
        status = exc.status if 400 <= exc.status < 500 else 422
        fresh = _own_request(container, who, view.request_id)
        return _request_page(request, container, fresh, status_code=status, error=error_text(request, container, exc))
    return redirect(f"{HOME}/{request_id}?done=evidence")


# ---- the plan ------------------------------------------------------------------------------------


def _own_plan(container: Container, who: Principal, plan_id: str) -> PlanView:
    try:
        return container.hardship.plan(plan_id, borrower_id=who.subject_id)
    except NotFound:
        raise PageRedirect("/?denied=1") from None


@router.get(HOME + "/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, container: ContainerDep, plan_id: str) -> HTMLResponse:
    who = borrower(request, container)
    plan = _own_plan(container, who, plan_id)
    agreed = container.hardship.request(plan.request_id, borrower_id=who.subject_id)
    proposal = next((p for p in agreed.proposals if p.proposal_id == plan.proposal_id), None)
    facts = container.lending.loan_facts(plan.loan_id)
    return render(
        request,
        container,
        "hardship/plan.html",
        plan=plan,
        proposal=proposal,
        currency=agreed.currency,
        money=money,
        facts=facts,
        active_loan=facts.state is LoanState.ACTIVE,
        done=request.query_params.get("done", ""),
    )
