"""The collector's workspace: the queue, an account, an attempt through the gateway, an outcome, a promise.

Collectors only (api/auth.py `COLLECTORS`). Every contact goes through the
gateway; the account page shows what the gateway would allow *now*, judged
by the same function an attempt is (gateway.preview), and a blocked attempt
comes back with its rule ids and the words the borrower reads about it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import COLLECTORS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.collections.desk import CONTACT_FILTERS, PROMISE_FILTERS, QueueFilter
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import FREE_TEXT, CallOutcome, ContactPersonStatus, Medium, RecipientKind
from fairlend.collections.rule_texts import rule_text
from fairlend.collections.wiring import Collections
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.jurisdiction.model import TemplatePurpose
from fairlend.money import Money
from fairlend.web.once import new_form_key, once
from fairlend.web.rendering import Csrf, check_csrf, error_text, locale_of, operator, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = "/operator/collections"
# Templates a collector may pick for the debtor: not the contact person's consent request.
DEBTOR_PURPOSES = frozenset({TemplatePurpose.COLLECTION, TemplatePurpose.REMINDER, TemplatePurpose.LEGAL_NOTICE})


def _c(container: Container) -> Collections:
    assert container.collections is not None
    return container.collections


def masked_name(container: Container, person_id: str) -> str:
    """The borrower's masked name ("张*"), or "" when identity does not know them."""
    try:
        return container.identity.person(person_id).masked_name
    except DomainError:
        return ""


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None


@router.get(PAGE, response_class=HTMLResponse)
def queue_page(
    request: Request,
    container: ContainerDep,
    bucket: str = "",
    min_dpd: str = "",
    max_dpd: str = "",
    promise: str = "",
    last_contact: str = "",
) -> HTMLResponse:
    operator(request, container, COLLECTORS)
    today = container.clock.business_date()
    filters = QueueFilter(
        bucket or None,
        _number(min_dpd),
        _number(max_dpd),
        promise if promise in PROMISE_FILTERS else None,
        last_contact if last_contact in CONTACT_FILTERS else None,
    )
    error = None
    try:
        items = _c(container).desk.queue(today, filters, limit=200)
    except DomainError as exc:
        items, error = [], error_text(request, container, exc)
    names = {i.task.borrower_id: masked_name(container, i.task.borrower_id) for i in items}
    return render(
        request,
        container,
        "collections/collector_queue.html",
        items=items,
        names=names,
        today=today,
        buckets=[b.name for b in container.profile.delinquency_buckets if b.min_dpd > 0],
        promise_filters=PROMISE_FILTERS,
        contact_filters=CONTACT_FILTERS,
        money=lambda minor, currency: Money(minor, currency).format(locale_of(request, container).replace("-", "_")),
        typed={
            "bucket": bucket,
            "min_dpd": min_dpd,
            "max_dpd": max_dpd,
            "promise": promise,
            "last_contact": last_contact,
        },
        error=error,
    )


def _account(request: Request, container: Container, loan_id: str, *, status_code: int = 200, **extra: Any) -> Response:
    c = _c(container)
    facts = c.lending.loan_facts(loan_id)
    if facts is None:
        raise NotFound("loan_not_found", f"no loan {loan_id}")
    try:
        detail = container.lending.loan_detail(loan_id)
        payments = container.lending.repayments_of(loan_id)
    except NotFound:  # a loan lending does not hold (collections over another book)
        detail, payments = None, []
    preview = c.gateway.preview(loan_id)
    content = container.profile.collections.content
    persons = [
        p
        for p in c.service.contact_persons(facts.borrower_id, masked=True)
        if p.status is ContactPersonStatus.CONFIRMED
    ]
    return render(
        request,
        container,
        "collections/collector_account.html",
        facts=facts,
        detail=detail,
        payments=payments,
        name=masked_name(container, facts.borrower_id),
        preview=preview,
        # One contact per drawing of the form: a double click or a retry never calls twice.
        attempt_key=new_form_key(),
        contacts=c.service.contacts_about(facts.borrower_id, loan_id),
        outcomes=c.desk.outcomes_for(loan_id),
        promises=c.desk.promises_for(loan_id),
        persons=persons,
        debtor_templates=[t.id for t in content.templates if t.purpose in DEBTOR_PURPOSES],
        other_templates=[t.id for t in content.templates if t.purpose is TemplatePurpose.THIRD_PARTY],
        media=list(Medium),
        call_outcomes=list(CallOutcome),
        today=container.clock.business_date(),
        rule_words=lambda rule: rule_text(rule, locale_of(request, container)),
        status_code=status_code,
        **extra,
    )


@router.get(PAGE + "/loans/{loan_id}", response_class=HTMLResponse)
def account_page(request: Request, container: ContainerDep, loan_id: str) -> Response:
    operator(request, container, COLLECTORS)
    return _account(request, container, loan_id)


@router.post(PAGE + "/loans/{loan_id}/attempt", response_model=None)
def attempt(
    request: Request,
    container: ContainerDep,
    loan_id: str,
    medium: Annotated[str, Form()],
    recipient: Annotated[str, Form()] = "debtor",
    template: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    task_id: Annotated[str, Form()] = "",
    form_key: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = operator(request, container, COLLECTORS)
    check_csrf(request, csrf)

    def contact() -> str:
        """The attempt through the gateway, answered as `sent:<log id>` or `blocked:<rule>,<rule>`."""
        person = recipient.removeprefix("cp:") if recipient.startswith("cp:") else None
        own_words = template == FREE_TEXT or (not template and text.strip())
        decision = _c(container).gateway.attempt(
            ContactRequest(
                loan_id,
                Medium(medium),
                RecipientKind.CONTACT_PERSON if person else RecipientKind.DEBTOR,
                contact_person_id=person,
                template=None if own_words else (template or None),
                text=text if own_words else None,
                collector_id=who.subject_id,
                task_id=task_id,
            )
        )
        return f"sent:{decision.log_id}" if decision.allowed else "blocked:" + ",".join(decision.rules)

    try:
        if medium not in {m.value for m in Medium}:
            raise Invalid("unknown_medium", f"no medium {medium!r}")
        asked = "\n".join((loan_id, medium, recipient, template, text))
        answer = once(container, who, "collector:attempt", form_key, asked, contact)
    except DomainError as exc:
        return _account(request, container, loan_id, status_code=422, error=error_text(request, container, exc))
    if not answer:  # it took effect and its answer was lost: the account's contact log shows it
        return redirect(f"{PAGE}/loans/{loan_id}")
    outcome, _, detail = answer.partition(":")
    if outcome == "sent":
        return redirect(f"{PAGE}/loans/{loan_id}?sent={detail}")
    lang = locale_of(request, container)
    blocked = [(rule, rule_text(rule, lang)) for rule in detail.split(",") if rule]
    return _account(request, container, loan_id, status_code=409, blocked=blocked)


@router.post(PAGE + "/loans/{loan_id}/outcome", response_model=None)
def outcome(
    request: Request,
    container: ContainerDep,
    loan_id: str,
    log_id: Annotated[str, Form()],
    result: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = operator(request, container, COLLECTORS)
    check_csrf(request, csrf)
    try:
        if result not in {o.value for o in CallOutcome}:
            raise Invalid("unknown_outcome", f"no outcome {result!r}")
        _c(container).desk.record_outcome(log_id, CallOutcome(result), note, who.subject_id)
    except DomainError as exc:
        return _account(request, container, loan_id, status_code=422, error=error_text(request, container, exc))
    return redirect(f"{PAGE}/loans/{loan_id}?recorded=1")


@router.post(PAGE + "/loans/{loan_id}/promise", response_model=None)
def promise(
    request: Request,
    container: ContainerDep,
    loan_id: str,
    due_on: Annotated[str, Form()],
    amount: Annotated[str, Form()],
    log_id: Annotated[str, Form()] = "",
    csrf: Csrf = None,
) -> Response:
    who = operator(request, container, COLLECTORS)
    check_csrf(request, csrf)
    c = _c(container)
    try:
        facts = c.lending.loan_facts(loan_id)
        currency = facts.currency if facts else container.profile.currency
        try:
            due = date.fromisoformat(due_on)
        except ValueError as exc:
            raise Invalid("promise_date", "give the date as YYYY-MM-DD") from exc
        c.desk.promise(loan_id, due, Money.of(amount.strip(), currency), who.subject_id, log_id)
    except DomainError as exc:
        return _account(request, container, loan_id, status_code=422, error=error_text(request, container, exc))
    return redirect(f"{PAGE}/loans/{loan_id}?promised=1")
