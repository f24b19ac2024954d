"""Lending's pages: the borrower's loans, a loan's schedule, repaying and the payoff quote;
the console's loan lookup and loan page (end-of-day's pages: web/eod.py).

A repayment form carries a one-time key minted when the page is drawn; the
key is claimed in the same store the API's `Idempotency-Key` uses, so a
second submission (a double click, a browser retry) shows the first answer
and posts nothing. As in the API, the repayment's own transaction marks the
key (db/idempotency.py), so a crash between posting and storing the answer
leaves a key that resolves to "paid" once its lease is over, never a second
posting and never a form stuck "in progress".
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import LOAN_OFFICERS
from fairlend.api.deps import ContainerDep
from fairlend.api.reads import Reads
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, NotFound
from fairlend.identity.model import Principal
from fairlend.lending.views import LoanDetail
from fairlend.money import Money
from fairlend.web import i18n
from fairlend.web.borrower_charts import loan_chart
from fairlend.web.charts import charts_json
from fairlend.web.hardship import loan_hardship
from fairlend.web.once import once
from fairlend.web.rendering import (
    Csrf,
    PageRedirect,
    borrower,
    check_csrf,
    error_text,
    locale_of,
    operator,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)
LOANS = "/borrower/loans"
CONSOLE = "/operator/loans"


def _owned(container: Container, who: Principal, loan_id: str) -> LoanDetail:
    """The borrower's own loan; someone else's loan looks exactly like a missing one."""
    try:
        detail = container.lending.loan_detail(loan_id)
    except NotFound:
        raise PageRedirect("/?denied=1") from None
    if detail.facts.borrower_id != who.subject_id:
        raise PageRedirect("/?denied=1")
    return detail


# ---- the borrower's loans --------------------------------------------------------------


@router.get(LOANS, response_class=HTMLResponse)
def my_loans(request: Request, container: ContainerDep) -> HTMLResponse:
    who = borrower(request, container)
    return render(request, container, "lending/loans.html", loans=container.lending.loans_of_borrower(who.subject_id))


def _has_contract(container: Container, detail: LoanDetail) -> bool:
    """A loan booked from an offer here has a contract page; an imported one does not."""
    if container.origination is None:
        return False
    try:
        container.origination.offer_for_loan(detail.facts.borrower_id, detail.facts.loan_id)
    except DomainError:
        return False
    return True


def _paid_chart(request: Request, container: Container, detail: LoanDetail) -> dict[str, Any]:
    t = i18n.Translator(locale_of(request, container))
    charts = [loan_chart(detail, t)]
    return {"charts": charts, "charts_json": charts_json(charts, t.locale)}


def _loan_page(request: Request, container: Container, detail: LoanDetail, **context: Any) -> HTMLResponse:
    return render(
        request,
        container,
        "lending/loan.html",
        loan=detail,
        payments=container.lending.repayments_of(detail.facts.loan_id),
        # Minted per drawing of the form: the same form submitted twice carries the same key.
        pay_key=secrets.token_urlsafe(24),
        console=False,
        has_contract=_has_contract(container, detail),
        **_paid_chart(request, container, detail),
        **loan_hardship(container, detail.facts.loan_id),
        **context,
    )


@router.get(LOANS + "/{loan_id}", response_class=HTMLResponse)
async def my_loan(request: Request, container: ContainerDep, loan_id: str, read: Reads) -> HTMLResponse:
    # Reads only: where this database's reads run (api/reads.py), on SQLite without a thread-pool trip.
    return await read(_my_loan, request, container, loan_id)


def _my_loan(request: Request, container: Container, loan_id: str) -> HTMLResponse:
    who = borrower(request, container)
    return _loan_page(request, container, _owned(container, who, loan_id))


@router.get(LOANS + "/{loan_id}/payoff", response_class=HTMLResponse)
def payoff(request: Request, container: ContainerDep, loan_id: str) -> HTMLResponse:
    who = borrower(request, container)
    detail = _owned(container, who, loan_id)
    try:
        quote = container.lending.payoff_quote(loan_id)
    except DomainError as exc:
        return _loan_page(request, container, detail, error=error_text(request, container, exc), status_code=409)
    return render(request, container, "lending/payoff.html", quote=quote, pay_key=secrets.token_urlsafe(24))


@router.post(LOANS + "/{loan_id}/repay", response_model=None)
def repay(
    request: Request,
    container: ContainerDep,
    loan_id: str,
    amount: Annotated[str, Form()],
    pay_key: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    who = borrower(request, container)
    check_csrf(request, csrf)
    detail = _owned(container, who, loan_id)
    try:
        money = Money.parse(amount, detail.facts.currency, grouping=True)
        paid = once(
            container,
            who,
            "repay",
            pay_key,
            f"{loan_id}\n{money.minor}\n{money.currency}",
            lambda: container.lending.repay(loan_id, money, reference=f"web:{pay_key[:40]}").repayment_id,
        )
    except DomainError as exc:
        # The same key again, for another amount or while the first is running: 409; a bad amount: 422.
        status = 409 if exc.code in ("payment_key_reused", "payment_in_progress") else 422
        return _loan_page(request, container, detail, error=error_text(request, container, exc), status_code=status)
    # An empty answer: the payment took effect and its answer was lost; the loan page shows it.
    return redirect(f"{LOANS}/{loan_id}?repaid={paid}" if paid else f"{LOANS}/{loan_id}")


# ---- the console -----------------------------------------------------------------------------


@router.get(CONSOLE, response_class=HTMLResponse)
def console_loans(request: Request, container: ContainerDep, q: str = "") -> Response:
    """Look a loan up by its id, or a borrower's loans by the borrower's id; otherwise the overdue ones."""
    operator(request, container, LOAN_OFFICERS)
    q = q.strip()
    if q.startswith("loan_"):
        return redirect(f"{CONSOLE}/{q}")
    if q:
        found = container.lending.loans_of_borrower(q)
        return render(request, container, "lending/console_loans.html", q=q, loans=found, delinquent=None)
    return render(
        request,
        container,
        "lending/console_loans.html",
        q="",
        loans=None,
        delinquent=container.lending.delinquent_loans(),
    )


@router.get(CONSOLE + "/{loan_id}", response_class=HTMLResponse)
def console_loan(request: Request, container: ContainerDep, loan_id: str) -> HTMLResponse:
    operator(request, container, LOAN_OFFICERS)
    try:
        detail = container.lending.loan_detail(loan_id)
    except NotFound as exc:
        return render(
            request,
            container,
            "lending/console_loans.html",
            q=loan_id,
            loans=[],
            delinquent=None,
            error=error_text(request, container, exc),
            status_code=404,
        )
    payments = container.lending.repayments_of(loan_id)
    return render(
        request,
        container,
        "lending/loan.html",
        loan=detail,
        payments=payments,
        console=True,
        pay_key="",
        **loan_hardship(container, loan_id),
    )
