"""The investor portal's auto-invest pages: the rules (make, change, switch off, delete) and what they invested.

Investors only. Rates and the per-borrower share are typed in per cent and
amounts in yuan/dollars, as on the listings page; the service checks the
rule whole (autoinvest_model.checked) and a refusal redraws the form with
what was typed and the refusal in the reader's language. The form that makes
a rule carries a one-time key (web/once.py): a double click makes one rule,
not two that would each take a turn.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.identity.model import Principal
from fairlend.market.autoinvest_model import GRADE_LETTERS, MAX_RULES_PER_INVESTOR, Rule, RuleTerms
from fairlend.money import Money
from fairlend.web.investor import HOME, investor
from fairlend.web.once import new_form_key, once
from fairlend.web.rendering import Csrf, PageRedirect, check_csrf, error_text, redirect, render

router = APIRouter(include_in_schema=False)
PAGE = HOME + "/autoinvest"
TERM_CHOICES = (3, 6, 9, 12, 18, 24, 36)
HUNDRED = Decimal(100)
DONE = ("created", "saved", "deleted")  # what the page may say was just done (autoinvest.done.*)


def _percent(text: str | None, code: str) -> Decimal:
    """A per-cent field as a fraction: "12.5" -> 0.125; the rule's own code when it is not a number."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise Invalid(code, "type a number, in per cent") from None
    if not value.is_finite():
        raise Invalid(code, "type a number, in per cent")
    return value / HUNDRED


def _terms(form: dict[str, Any], currency: str) -> RuleTerms:
    months = []
    for t in form["terms"]:
        if not t.strip().isdigit() or len(t.strip()) > 3:
            raise Invalid("autoinvest_terms_invalid", "terms are whole months")
        months.append(int(t))
    reserve_text = (form["cash_reserve"] or "").strip() or "0"
    return RuleTerms(
        grades=tuple(form["grades"]),
        terms=tuple(months),
        min_rate=_percent(form["min_rate"], "autoinvest_rate_range_invalid"),
        max_rate=_percent(form["max_rate"], "autoinvest_rate_range_invalid"),
        amount=Money.parse(form["amount_per_note"] or "", currency, grouping=True),
        borrower_share=_percent(form["max_borrower_share"], "autoinvest_borrower_share_invalid"),
        reserve=Money.parse(reserve_text, currency, grouping=True),
        enabled=form["enabled"] == "1",
    )


def _draft(rule: RuleTerms) -> dict[str, Any]:
    """A rule as the form shows it (per cent, major units)."""
    return {
        "grades": list(rule.grades),
        "terms": [str(m) for m in rule.terms],
        "min_rate": _shown(rule.min_rate * HUNDRED),
        "max_rate": _shown(rule.max_rate * HUNDRED),
        "amount_per_note": str(rule.amount.to_decimal()),
        "max_borrower_share": _shown(rule.borrower_share * HUNDRED),
        "cash_reserve": str(rule.reserve.to_decimal()),
        "enabled": "1" if rule.enabled else "",
    }


def _shown(value: Decimal) -> str:
    plain = value.normalize()
    return f"{plain:f}"


def _new_draft(container: Container) -> dict[str, Any]:
    note = Money(container.market.profile.marketplace.note_minimum_minor, container.profile.currency)
    return {
        "grades": ["A", "B"],
        "terms": ["12"],
        "min_rate": "0",
        "max_rate": "24",
        "amount_per_note": str((note * 2).to_decimal()),
        "max_borrower_share": "5",
        "cash_reserve": "0",
        "enabled": "1",
    }


def _page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    rules = container.market.autoinvest.rules
    mine = rules.of_investor(who.subject_id)
    context.setdefault("draft", _new_draft(container))
    return render(
        request,
        container,
        "investor/autoinvest.html",
        rules=mine,
        numbers={r.id: n for n, r in enumerate(mine, start=1)},
        made=rules.investments(who.subject_id, 20),
        can_add=len(mine) < MAX_RULES_PER_INVESTOR,
        form_key=new_form_key(),
        **_choices(container),
        done=request.query_params.get("done", "") if request.query_params.get("done") in DONE else "",
        **context,
    )


def _choices(container: Container) -> dict[str, Any]:
    return {
        "grade_choices": GRADE_LETTERS,
        "term_choices": TERM_CHOICES,
        "note_size": Money(container.market.profile.marketplace.note_minimum_minor, container.profile.currency),
        "max_rules": MAX_RULES_PER_INVESTOR,
    }


def _rule_page(request: Request, container: Container, who: Principal, rule: Rule, **context: Any) -> HTMLResponse:
    mine = container.market.autoinvest.rules.of_investor(who.subject_id)
    number = next((n for n, r in enumerate(mine, start=1) if r.id == rule.id), 0)
    context.setdefault("draft", _draft(rule.terms))
    return render(
        request, container, "investor/autoinvest_rule.html", rule=rule, number=number, **_choices(container), **context
    )


def _own(container: Container, who: Principal, rule_id: str) -> Rule:
    try:
        return container.market.autoinvest.rules.get(who.subject_id, rule_id)
    except NotFound:
        raise PageRedirect(PAGE) from None


# Every field of the rule form, as typed (lists for the checkboxes).
Grades = Annotated[list[str], Form()]
Terms = Annotated[list[str], Form()]
Text = Annotated[str | None, Form()]


def _form(
    grades: Grades = [],  # noqa: B006 (FastAPI copies form defaults)
    terms: Terms = [],  # noqa: B006
    min_rate: Text = None,
    max_rate: Text = None,
    amount_per_note: Text = None,
    max_borrower_share: Text = None,
    cash_reserve: Text = None,
    enabled: Text = None,
) -> dict[str, Any]:
    """The rule form as posted (a dependency of both the new-rule and the change forms)."""
    return {
        "grades": [g for g in grades if g],
        "terms": [t for t in terms if t],
        "min_rate": min_rate,
        "max_rate": max_rate,
        "amount_per_note": amount_per_note,
        "max_borrower_share": max_borrower_share,
        "cash_reserve": cash_reserve,
        "enabled": enabled,
    }


RuleForm = Annotated[dict[str, Any], Depends(_form)]


@router.get(PAGE, response_class=HTMLResponse)
def rules_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _page(request, container, investor(request, container))


@router.post(PAGE, response_model=None)
def create(
    request: Request,
    container: ContainerDep,
    form_key: Annotated[str, Form()],
    form: RuleForm,
    csrf: Csrf = None,
) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    rules = container.market.autoinvest.rules
    try:
        wanted = _terms(form, container.profile.currency)
        asked = repr(sorted(form.items()))
        once(container, who, "investor:autoinvest", form_key, asked, lambda: rules.create(who.subject_id, wanted).id)
    except DomainError as exc:
        status = 409 if exc.code.startswith("payment_key") or exc.code == "payment_in_progress" else 422
        text = error_text(request, container, exc)
        return _page(request, container, who, error=text, draft=form, status_code=status)
    return redirect(f"{PAGE}?done=created")


@router.get(PAGE + "/{rule_id}", response_class=HTMLResponse)
def rule_page(request: Request, container: ContainerDep, rule_id: str) -> HTMLResponse:
    who = investor(request, container)
    return _rule_page(request, container, who, _own(container, who, rule_id))


@router.post(PAGE + "/{rule_id}", response_model=None)
def change(
    request: Request,
    container: ContainerDep,
    rule_id: str,
    form: RuleForm,
    csrf: Csrf = None,
) -> Response:
    """Replacing a rule's terms is the same change however often it is sent: no one-time key needed."""
    who = investor(request, container)
    check_csrf(request, csrf)
    rule = _own(container, who, rule_id)
    try:
        container.market.autoinvest.rules.update(who.subject_id, rule_id, _terms(form, container.profile.currency))
    except DomainError as exc:
        text = error_text(request, container, exc)
        return _rule_page(request, container, who, rule, error=text, draft=form, status_code=422)
    return redirect(f"{PAGE}?done=saved")


@router.post(PAGE + "/{rule_id}/delete", response_model=None)
def remove(request: Request, container: ContainerDep, rule_id: str, csrf: Csrf = None) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    _own(container, who, rule_id)
    container.market.autoinvest.rules.delete(who.subject_id, rule_id)
    return redirect(f"{PAGE}?done=deleted")
