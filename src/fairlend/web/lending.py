"""Lending's pages: the borrower's loans, a loan's schedule, repaying and the payoff quote;
the console's loan lookup, loan page and end-of-day runs.

A repayment form carries a one-time key minted when the page is drawn; the
key is claimed in the same store the API's `Idempotency-Key` uses, so a
second submission (a double click, a browser retry) shows the first answer
and posts nothing. As in the API, the repayment's own transaction marks the
key (db/idempotency.py), so a crash between posting and storing the answer
leaves a key that resolves to "paid" once its lease is over, never a second
posting and never a form stuck "in progress".
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.auth import EOD_READERS, LOAN_OFFICERS
from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.db.idempotency import Claim, StoredResponse
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.identity.model import Principal
from fairlend.lending.views import LoanDetail
from fairlend.money import Money
from fairlend.web.rendering import Csrf, PageRedirect, borrower, check_csrf, error_text, operator, redirect, render

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
        **context,
    )


@router.get(LOANS + "/{loan_id}", response_class=HTMLResponse)
def my_loan(request: Request, container: ContainerDep, loan_id: str) -> HTMLResponse:
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


# What a resubmitted form shows once a repayment took effect and its answer was lost: the loan page.
PAID_ANSWER_LOST = StoredResponse(303, "text/plain", b"")


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
        if not pay_key or len(pay_key) > 128 or not pay_key.isascii():
            raise Invalid("payment_key_invalid", "reload the page and submit the form again")
        money = Money.parse(amount, detail.facts.currency, grouping=True)
    except DomainError as exc:
        return _loan_page(request, container, detail, error=error_text(request, container, exc), status_code=422)
    # The key is the borrower's: nobody else's form can collide with it.
    scope = hashlib.sha256(f"web:repay\n{who.subject_id}\n{pay_key}".encode()).hexdigest()
    request_hash = hashlib.sha256(f"{loan_id}\n{money.minor}\n{money.currency}".encode()).hexdigest()
    store = container.idempotency
    claimed = store.claim(scope, request_hash, lost=PAID_ANSWER_LOST)
    if claimed.outcome is Claim.REPLAY and claimed.stored is not None:
        paid = claimed.stored.body.decode()
        return redirect(f"{LOANS}/{loan_id}?repaid={paid}" if paid else f"{LOANS}/{loan_id}")
    if claimed.held is None:
        code = "payment_key_reused" if claimed.outcome is Claim.MISMATCH else "payment_in_progress"
        text = error_text(request, container, DomainError(code, "this form was already submitted"))
        return _loan_page(request, container, detail, error=text, status_code=409)
    held = claimed.held
    try:
        with store.effects(held):
            result = container.lending.repay(loan_id, money, reference=f"web:{pay_key[:40]}")
    except DomainError as exc:
        store.fail(held, lost=PAID_ANSWER_LOST)  # nothing was posted: the same form may be corrected and sent again
        return _loan_page(request, container, detail, error=error_text(request, container, exc), status_code=422)
    except BaseException:
        store.fail(held, lost=PAID_ANSWER_LOST)
        raise
    store.complete(held, StoredResponse(303, "text/plain", result.repayment_id.encode()))
    return redirect(f"{LOANS}/{loan_id}?repaid={result.repayment_id}")


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
    return render(request, container, "lending/loan.html", loan=detail, payments=payments, console=True, pay_key="")


EOD_PAGE_SIZE = 20


@router.get("/operator/eod", response_class=HTMLResponse)
def eod_runs(
    request: Request, container: ContainerDep, page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> HTMLResponse:
    """One line per run, newest first, a page at a time; each date opens its steps."""
    operator(request, container, EOD_READERS)
    runs = container.eod.runs(EOD_PAGE_SIZE + 1, (page - 1) * EOD_PAGE_SIZE)
    return render(
        request,
        container,
        "lending/eod.html",
        runs=runs[:EOD_PAGE_SIZE],
        page=page,
        more=len(runs) > EOD_PAGE_SIZE,
        business_date=container.eod.business_date(),
    )


@router.get("/operator/eod/{business_date}", response_class=HTMLResponse)
def eod_day(request: Request, container: ContainerDep, business_date: date) -> HTMLResponse:
    """Every run of one business date with each step's count, in the reader's words."""
    operator(request, container, EOD_READERS)
    runs = container.eod.runs(20, on=business_date)
    return render(
        request, container, "lending/eod_day.html", runs=runs, day=business_date, status_code=200 if runs else 404
    )
