"""The investor portal: wallet, listings and investing, notes, portfolio with NAR and charts, statements.

Investors only (a borrower or an operator is sent away). Every form that moves
money carries a one-time key minted when the page is drawn and claimed in the
store the API's `Idempotency-Key` uses (as lending's repayment form does): a
second submission shows the first answer and moves nothing. A listing shows
bands and flags only (MK-6): the pages get `ListingView`s, which carry no
personal data of the borrower. Charts are drawn by ECharts from the package
(static/vendor/echarts) with their data beside them as tables.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.identity.model import Principal, Role
from fairlend.market.model import CommitmentStatus, ListingFilter
from fairlend.market.portfolio_export import chart_data, statement_csv
from fairlend.market.returns import NOTE_STATUSES
from fairlend.money import Money
from fairlend.web import i18n
from fairlend.web.once import new_form_key, once
from fairlend.web.rendering import Csrf, PageRedirect, check_csrf, error_text, locale_of, redirect, render, require

router = APIRouter(include_in_schema=False)
HOME = "/investor"
AGREEMENT_VERSION = "investor/v1"  # the agreement the portal shows; the API names the version it accepts


def investor(request: Request, container: Container) -> Principal:
    who = require(request, container, lambda p: p.role is Role.INVESTOR, "/login?role=investor")
    if container.market is None:
        raise PageRedirect("/?denied=1")
    return who


def _amount(container: Container, text: str) -> Money:
    return Money.parse(text, container.profile.currency, grouping=True)


# ---- wallet ---------------------------------------------------------------------------------


def _wallet_page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    wallets = container.market.wallets
    try:
        agreed: Any = wallets.investor(who.subject_id)
    except DomainError:
        agreed = None
    return render(
        request,
        container,
        "investor/wallet.html",
        wallet=wallets.wallet(who.subject_id),
        agreed=agreed,
        movements=wallets.movements(who.subject_id)[-20:],
        needs_net_worth=container.market.profile.marketplace.investors.suitability_share > 0,
        deposit_key=new_form_key(),
        withdraw_key=new_form_key(),
        done=request.query_params.get("done", ""),
        **context,
    )


@router.get(HOME + "/wallet", response_class=HTMLResponse)
def wallet_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _wallet_page(request, container, investor(request, container))


@router.post(HOME + "/agreement", response_model=None)
def agree(
    request: Request,
    container: ContainerDep,
    agreement: Annotated[str | None, Form()] = None,
    net_worth: Annotated[str | None, Form()] = None,
    csrf: Csrf = None,
) -> Response:
    """Accept the investor agreement (and state net worth where MK-5 limits notes by it)."""
    who = investor(request, container)
    check_csrf(request, csrf)
    try:
        if agreement != "1":
            raise Invalid("investor_agreement_required", "accept the investor agreement to continue")
        worth = _amount(container, net_worth) if net_worth and net_worth.strip() else None
        container.market.wallets.register(who.subject_id, agreement_version=AGREEMENT_VERSION, net_worth=worth)
    except DomainError as exc:
        return _wallet_page(request, container, who, error=error_text(request, container, exc), status_code=422)
    return redirect(HOME + "/wallet")


@router.post(HOME + "/wallet/{action}", response_model=None)
def move_cash(
    request: Request,
    container: ContainerDep,
    action: str,
    amount: Annotated[str, Form()],
    form_key: Annotated[str, Form()],
    csrf: Csrf = None,
) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    if action not in ("deposit", "withdraw"):
        raise PageRedirect("/?denied=1")
    wallets = container.market.wallets
    try:
        money = _amount(container, amount)
        move = wallets.deposit if action == "deposit" else wallets.withdraw
        done = once(
            container, who, f"investor:{action}", form_key, f"{money.minor}", lambda: move(who.subject_id, money).id
        )
    except DomainError as exc:
        status = 409 if exc.code.startswith("payment_key") or exc.code == "payment_in_progress" else 422
        return _wallet_page(request, container, who, error=error_text(request, container, exc), status_code=status)
    return redirect(f"{HOME}/wallet?done={done}")


# ---- listings and investing ------------------------------------------------------------------


def _decimal(text: str | None, scale: Decimal) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.strip()) / scale
    except InvalidOperation:
        raise Invalid("filter_invalid", "a filter must be a number") from None
    if not value.is_finite() or value < 0 or value > 10:
        raise Invalid("filter_invalid", "a filter is out of range")
    return value


@router.get(HOME + "/listings", response_class=HTMLResponse)
def listings(request: Request, container: ContainerDep) -> HTMLResponse:
    investor(request, container)
    q = request.query_params
    try:
        wanted = ListingFilter(
            grades=tuple(g for g in q.getlist("grade") if g),
            terms=tuple(int(t) for t in q.getlist("term") if t.isdigit()),
            min_rate=_decimal(q.get("min_rate"), Decimal(100)),
            max_rate=_decimal(q.get("max_rate"), Decimal(100)),
            purposes=tuple(p for p in q.getlist("purpose") if p),
            min_funded_share=_decimal(q.get("min_funded"), Decimal(100)),
        )
        found = container.market.listings.browse(wanted, limit=100, offset=0)
        error = None
    except DomainError as exc:
        found, error = [], error_text(request, container, exc)
    return render(
        request,
        container,
        "investor/listings.html",
        listings=found,
        q=q,
        error=error,
        status_code=422 if error else 200,
    )


def _listing_page(request: Request, container: Container, listing_id: str, **context: Any) -> HTMLResponse:
    try:
        listing = container.market.listings.get(listing_id)
    except NotFound:
        raise PageRedirect(HOME + "/listings") from None
    return render(
        request,
        container,
        "investor/listing.html",
        listing=listing,
        invest_key=new_form_key(),
        note_size=Money(container.market.profile.marketplace.note_minimum_minor, container.profile.currency),
        ecsp=container.market.profile.marketplace.investors.ecsp,
        done=request.query_params.get("done", ""),
        **context,
    )


@router.get(HOME + "/listings/{listing_id}", response_class=HTMLResponse)
def listing(request: Request, container: ContainerDep, listing_id: str) -> HTMLResponse:
    investor(request, container)
    return _listing_page(request, container, listing_id)


@router.post(HOME + "/listings/{listing_id}/invest", response_model=None)
def invest(
    request: Request,
    container: ContainerDep,
    listing_id: str,
    amount: Annotated[str, Form()],
    form_key: Annotated[str, Form()],
    acknowledged_risk: Annotated[str | None, Form()] = None,
    csrf: Csrf = None,
) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    market = container.market
    acknowledged = acknowledged_risk is not None  # MK-4's large-investment warning, ticked
    try:
        money = _amount(container, amount)
        done = once(
            container,
            who,
            "investor:invest",
            form_key,
            f"{listing_id}\n{money.minor}",
            lambda: market.commitments.invest(who.subject_id, listing_id, money, acknowledged_risk=acknowledged).id,
        )
    except DomainError as exc:
        status = 409 if exc.code.startswith("payment_key") or exc.code == "payment_in_progress" else 422
        text = error_text(request, container, exc)
        return _listing_page(request, container, listing_id, error=text, status_code=status)
    return redirect(f"{HOME}/listings/{listing_id}?done={done}")


# ---- notes, portfolio, statements ------------------------------------------------------------


@router.get(HOME + "/notes", response_class=HTMLResponse)
def notes(request: Request, container: ContainerDep) -> HTMLResponse:
    who = investor(request, container)
    return notes_page(request, container, who, revoked=request.query_params.get("revoked") == "1")


def notes_page(request: Request, container: Container, who: Principal, **extra: Any) -> HTMLResponse:
    """My notes, and the investments still inside their reflection period (MK-4), which may be revoked."""
    return render(
        request,
        container,
        "investor/notes.html",
        p=container.market.portfolios.portfolio(who.subject_id),
        statuses=NOTE_STATUSES,
        **reserved_investments(container, who.subject_id),
        **extra,
    )


def reserved_investments(container: Container, investor_id: str) -> dict[str, Any]:
    """The investments still waiting for their listing, and whether MK-4 lets them be revoked (investor_ecsp.py)."""
    rules = container.market.profile.marketplace.investors
    mine = container.market.commitments.of_investor(investor_id)
    waiting = [c for c in mine if c.status is CommitmentStatus.RESERVED]
    return {"waiting": waiting, "revocable": rules.ecsp and rules.reflection_days > 0}


@router.get(HOME + "/portfolio", response_class=HTMLResponse)
def portfolio(request: Request, container: ContainerDep) -> HTMLResponse:
    who = investor(request, container)
    view = container.market.portfolios.portfolio(who.subject_id)
    t = i18n.Translator(locale_of(request, container))
    labels = {
        key: t(f"investor.{key}")
        for key in ("principal", "interest", "charged_off", "nar", "chart.months", "chart.statuses", "chart.grades")
    }
    labels.update({f"status.{s}": t(f"investor.status.{s}") for s in NOTE_STATUSES})
    charts = json.dumps(chart_data(view, labels), ensure_ascii=False).replace("<", "\\u003c")
    return render(request, container, "investor/portfolio.html", p=view, statuses=NOTE_STATUSES, charts=charts)


def _period(request: Request, container: Container) -> tuple[date, date]:
    today = container.clock.business_date()
    q = request.query_params
    try:
        start = date.fromisoformat(q["from"]) if q.get("from") else today.replace(day=1)
        end = date.fromisoformat(q["to"]) if q.get("to") else today
    except ValueError:
        raise Invalid("statement_period_invalid", "dates are YYYY-MM-DD") from None
    return start, end


@router.get(HOME + "/statements", response_class=HTMLResponse)
def statements(request: Request, container: ContainerDep) -> HTMLResponse:
    who = investor(request, container)
    today = container.clock.business_date()
    try:
        start, end = _period(request, container)
        found = container.market.portfolios.statement(who.subject_id, start, end)
    except DomainError as exc:
        start, end = today.replace(day=1), today
        return render(
            request,
            container,
            "investor/statements.html",
            s=container.market.portfolios.statement(who.subject_id, start, end),
            error=error_text(request, container, exc),
            status_code=422,
        )
    return render(request, container, "investor/statements.html", s=found)


@router.get(HOME + "/statements.csv", response_model=None)
def statement_download(request: Request, container: ContainerDep) -> Response:
    who = investor(request, container)
    try:
        start, end = _period(request, container)
        found = container.market.portfolios.statement(who.subject_id, start, end)
    except DomainError:
        return redirect(HOME + "/statements")
    return Response(
        statement_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="statement-{start}-{end}.csv"'},
    )
