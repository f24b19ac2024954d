"""Origination's pages: the free self-check ("My credit", with the bureau report it
pulled), applying (prequalify -> inquiry disclosure -> apply with consent ->
decision -> offer -> accept) and the contract. The underwriters' queue is in underwriting.py.

fairlend fetches a person's own report from the bureau only with their consent
(CN-14): "My credit" asks for it first, and so does the rate check, by a
checkbox whose text version is recorded with identity like the apply consent's.

A port that is not connected in a deployment (`*_not_wired`) or any other
refusal is shown as an error in the page's language, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.api.routers.scoring import origination_of
from fairlend.bootstrap import Container
from fairlend.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from fairlend.identity.model import Principal
from fairlend.money import Money
from fairlend.origination.contract import clauses
from fairlend.origination.contract_pdf import render_contract_pdf
from fairlend.origination.service import CONSENT_PURPOSE, SELF_CHECK_CONSENT_PURPOSE
from fairlend.origination.views import ContractView
from fairlend.web import i18n
from fairlend.web.borrower_charts import credit_charts
from fairlend.web.charts import charts_json
from fairlend.web.rendering import Csrf, borrower, check_csrf, error_text, locale_of, redirect, render

router = APIRouter(include_in_schema=False)
APPLY = "/borrower/apply"
CREDIT = "/borrower/credit"
# The consent text the checkbox shows, by version: the record names exactly what was agreed to.
CONSENT_TEXT_VERSION = "credit-inquiry/web-v1"
# "credit.consent" in the catalogs: the self-check consent, on "My credit" and the rate check alike.
SELF_CHECK_CONSENT_TEXT_VERSION = "credit-self-check/web-v1"


def _record_consent(container: Container, who: Principal, purpose: str, version: str) -> None:
    """Ticking a consent box is the consent (CN-14): recorded with identity, naming this institution,
    unless a live one already exists. Origination reads it back and attests it to the bureau."""
    institution = origination_of(container).institution
    if container.identity.live_consent(who.subject_id, purpose, institution) is None:
        container.identity.consents.give(who.subject_id, purpose, version, institution)


def _needs_self_check_consent(container: Container, who: Principal) -> bool:
    institution = origination_of(container).institution
    return container.identity.live_consent(who.subject_id, SELF_CHECK_CONSENT_PURPOSE, institution) is None


def _terms(container: Container, amount: str, term: str, income: str) -> tuple[Money, int, Money | None]:
    currency = container.profile.currency
    try:
        months = int(term)
    except ValueError:
        raise Invalid("term_out_of_range", "the term is a whole number of months") from None
    stated = Money.parse(income, currency, grouping=True) if income.strip() else None
    return Money.parse(amount, currency, grouping=True), months, stated


# ---- my credit ---------------------------------------------------------------------------


def _consent_page(request: Request, container: Container, **context: Any) -> HTMLResponse:
    """What "My credit" shows until the person consents to fairlend fetching their report."""
    return render(
        request,
        container,
        "origination/credit.html",
        check=None,
        needs_consent=True,
        institution=origination_of(container).institution,
        consent_version=SELF_CHECK_CONSENT_TEXT_VERSION,
        **context,
    )


@router.get(CREDIT, response_class=HTMLResponse)
def my_credit(request: Request, container: ContainerDep) -> HTMLResponse:
    """A soft inquiry with the person's consent: free, and never counted against them."""
    who = borrower(request, container)
    try:
        check = origination_of(container).self_check(who.subject_id)
    except DomainError as exc:
        if exc.code == "self_check_consent_required":
            return _consent_page(request, container)
        return render(
            request, container, "origination/credit.html", check=None, error=error_text(request, container, exc)
        )
    t = i18n.Translator(locale_of(request, container))
    history = container.scoring.history(who.subject_id) if container.scoring is not None else []
    charts = credit_charts(check.report.accounts, history, t)
    return render(
        request, container, "origination/credit.html", check=check, charts=charts,
        charts_json=charts_json(charts, t.locale),
    )  # fmt: skip


@router.post(CREDIT + "/consent", response_model=None)
def consent_to_self_check(
    request: Request, container: ContainerDep, consent: Annotated[str, Form()] = "", csrf: Csrf = None
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    try:
        if not consent:
            raise Forbidden("self_check_consent_required", "tick the box to consent to the self-query")
        _record_consent(container, who, SELF_CHECK_CONSENT_PURPOSE, SELF_CHECK_CONSENT_TEXT_VERSION)
    except DomainError as exc:
        return _consent_page(request, container, error=error_text(request, container, exc), status_code=422)
    return redirect(CREDIT)


# ---- applying ------------------------------------------------------------------------------


def _apply_page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    context.setdefault("step", "prequalify")
    context.setdefault("form", {"amount": "", "term": "12", "income": ""})
    if context["step"] == "prequalify":
        # The rate check reads the person's own report: it asks for the self-check consent if none is live.
        context["self_check_consent_needed"] = _needs_self_check_consent(container, who)
        context["self_check_consent_version"] = SELF_CHECK_CONSENT_TEXT_VERSION
        context.setdefault("institution", origination_of(container).institution)
    return render(request, container, "origination/apply.html", **context)


@router.get(APPLY, response_class=HTMLResponse)
def apply_page(request: Request, container: ContainerDep) -> HTMLResponse:
    who = borrower(request, container)
    return _apply_page(request, container, who)


@router.post(APPLY + "/prequalify", response_class=HTMLResponse)
def prequalify(
    request: Request,
    container: ContainerDep,
    amount: Annotated[str, Form()],
    term: Annotated[str, Form()],
    income: Annotated[str, Form()] = "",
    self_check_consent: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> HTMLResponse:
    who = borrower(request, container)
    check_csrf(request, csrf)
    form = {"amount": amount, "term": term, "income": income}
    try:
        money, months, stated = _terms(container, amount, term, income)
        if self_check_consent:  # before the soft inquiry that needs it
            _record_consent(container, who, SELF_CHECK_CONSENT_PURPOSE, SELF_CHECK_CONSENT_TEXT_VERSION)
        found = origination_of(container).prequalify(who.subject_id, money, months, stated)
    except DomainError as exc:
        return _apply_page(
            request, container, who, form=form, error=error_text(request, container, exc), status_code=422
        )
    # The rate check's grade and rate travel with the form, so the application's page can say why it differs.
    form |= {"pre_grade": found.grade or "", "pre_rate": "" if found.nominal_rate is None else str(found.nominal_rate)}
    return _apply_page(request, container, who, form=form, prequalification=found, requested=money)


@router.post(APPLY + "/disclosure", response_class=HTMLResponse)
def disclosure(
    request: Request,
    container: ContainerDep,
    amount: Annotated[str, Form()],
    term: Annotated[str, Form()],
    income: Annotated[str, Form()] = "",
    pre_grade: Annotated[str, Form()] = "",
    pre_rate: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> HTMLResponse:
    """Before the hard inquiry: how many the person had in 30 days and what one more costs."""
    who = borrower(request, container)
    check_csrf(request, csrf)
    form = {"amount": amount, "term": term, "income": income, "pre_grade": pre_grade, "pre_rate": pre_rate}
    try:
        found = origination_of(container).inquiry_disclosure(who.subject_id)
    except DomainError as exc:
        return _apply_page(
            request, container, who, form=form, error=error_text(request, container, exc), status_code=422
        )
    return _apply_page(
        request,
        container,
        who,
        step="apply",
        form=form,
        disclosure=found,
        institution=origination_of(container).institution,
        consent_version=CONSENT_TEXT_VERSION,
    )


@router.post(APPLY, response_model=None)
def apply(
    request: Request,
    container: ContainerDep,
    amount: Annotated[str, Form()],
    term: Annotated[str, Form()],
    income: Annotated[str, Form()] = "",
    acknowledged: Annotated[str, Form()] = "",
    consent: Annotated[str, Form()] = "",
    pre_grade: Annotated[str, Form()] = "",
    pre_rate: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    form = {"amount": amount, "term": term, "income": income, "pre_grade": pre_grade, "pre_rate": pre_rate}
    service = origination_of(container)
    try:
        money, months, stated = _terms(container, amount, term, income)
        if not acknowledged:  # before recording a consent the application could not use
            raise Conflict("inquiry_disclosure_not_acknowledged", "read what a hard inquiry costs and acknowledge it")
        if not consent:
            raise Forbidden("consent_required", "a hard inquiry needs your consent to this institution (CN-14)")
        _record_consent(container, who, CONSENT_PURPOSE, CONSENT_TEXT_VERSION)
        view = service.apply(
            who.subject_id,
            money,
            months,
            inquiry_disclosure_acknowledged=bool(acknowledged),
            stated_monthly_income=stated,
        )
    except DomainError as exc:
        return _apply_page(
            request,
            container,
            who,
            step="apply",
            form=form,
            institution=service.institution,
            consent_version=CONSENT_TEXT_VERSION,
            error=error_text(request, container, exc),
            status_code=422,
        )
    precheck = _precheck(pre_grade, pre_rate)
    query = f"?{urlencode({'pre_grade': precheck[0], 'pre_rate': str(precheck[1])})}" if precheck else ""
    return redirect(f"/borrower/applications/{view.id}{query}")


GRADE = re.compile(r"^[A-G][1-5]$")


def _precheck(grade: str, rate: str) -> tuple[str, Decimal] | None:
    """The rate check's grade and rate as the form carried them, or None when absent or not plausible."""
    try:
        value = Decimal(rate)
    except InvalidOperation:
        return None
    if not GRADE.match(grade) or not value.is_finite() or not Decimal(0) <= value < Decimal(1):
        return None
    return grade, value


@router.get("/borrower/applications/{application_id}", response_class=HTMLResponse)
def application(request: Request, container: ContainerDep, application_id: str) -> HTMLResponse:
    who = borrower(request, container)
    precheck = _precheck(request.query_params.get("pre_grade", ""), request.query_params.get("pre_rate", ""))
    return _found(
        request, container, "origination/application.html", "app",
        lambda: origination_of(container).application(who.subject_id, application_id),
        precheck=precheck,
    )  # fmt: skip


def _found(
    request: Request,
    container: Container,
    template: str,
    name: str,
    lookup: Callable[[], Any],
    more: Callable[[Any], dict[str, Any]] = lambda _: {},
    **context: Any,
) -> HTMLResponse:
    """A record looked up under the signed-in borrower, or the page's 404: someone else's id is not found."""
    try:
        found = lookup()
    except DomainError as exc:
        error = error_text(request, container, exc)
        return render(request, container, template, **{name: None}, error=error, status_code=404)
    return render(request, container, template, **{name: found}, **more(found), **context)


def _offer_page(request: Request, container: Container, offer_id: str, **context: Any) -> HTMLResponse:
    who = borrower(request, container)
    lookup = partial(origination_of(container).offer, who.subject_id, offer_id)
    return _found(request, container, "origination/offer.html", "offer", lookup, **context)


@router.get("/borrower/offers/{offer_id}", response_class=HTMLResponse)
def offer(request: Request, container: ContainerDep, offer_id: str) -> HTMLResponse:
    return _offer_page(request, container, offer_id)


@router.post("/borrower/offers/{offer_id}/accept", response_model=None)
def accept(
    request: Request, container: ContainerDep, offer_id: str, agreed: Annotated[str, Form()] = "", csrf: Csrf = None
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    try:
        origination_of(container).accept(who.subject_id, offer_id, agreed=bool(agreed))
    except DomainError as exc:
        return _offer_page(request, container, offer_id, error=error_text(request, container, exc), status_code=422)
    return redirect(f"/borrower/offers/{offer_id}?accepted=1")


# ---- the contract ----------------------------------------------------------------------------


def _contract_page(request: Request, container: Container, who: Principal, offer_id: str | None) -> HTMLResponse:
    def lookup() -> ContractView:
        if offer_id is None:
            raise NotFound("contract_not_found", "no contract for this loan")
        return origination_of(container).contract(who.subject_id, offer_id)

    lang = locale_of(request, container)
    return _found(
        request, container, "origination/contract.html", "contract", lookup,
        more=lambda view: {"clauses": clauses(view.terms, lang)},
    )  # fmt: skip


@router.get("/borrower/offers/{offer_id}/contract", response_class=HTMLResponse)
def contract_page(request: Request, container: ContainerDep, offer_id: str) -> HTMLResponse:
    """The contract text (the draft before "I agree", the agreed version after), schedule and fees."""
    return _contract_page(request, container, borrower(request, container), offer_id)


@router.get("/borrower/offers/{offer_id}/contract.pdf")
def contract_pdf(request: Request, container: ContainerDep, offer_id: str) -> Response:
    who = borrower(request, container)
    view = origination_of(container).contract(who.subject_id, offer_id)
    pdf = render_contract_pdf(view.terms, view.fingerprint, locale_of(request, container))
    name = view.terms.contract_id or f"draft-{offer_id}"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'}
    )


@router.get("/borrower/loans/{loan_id}/contract", response_class=HTMLResponse)
def loan_contract(request: Request, container: ContainerDep, loan_id: str) -> HTMLResponse:
    """The contract of a loan booked from an offer here (the loan page links it)."""
    who = borrower(request, container)
    try:
        offer_id: str | None = origination_of(container).offer_for_loan(who.subject_id, loan_id)
    except DomainError:
        offer_id = None
    return _contract_page(request, container, who, offer_id)
