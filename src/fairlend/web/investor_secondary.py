"""The investor portal's secondary market: browse orders, see one with its yield and history, sell, buy, cancel.

Investors only (the portal's guard, web/investor.py). Each form that lists,
buys or cancels carries a one-time key (web/once.py): a form sent twice acts
once. A note's standing is on every order: the one it was listed with and
the one it has now; a disclosed standing (more than 30 days overdue, charged
off, a hardship plan) is shown as a warning, and the buy form then asks the
buyer to acknowledge it. The buy form also carries the price it showed, so a
price that rose since (accrued interest, a new day) is refused, not paid.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, Invalid, NotFound
from fairlend.identity.model import Principal
from fairlend.market.secondary import OrderStatus
from fairlend.money import Money
from fairlend.web.investor import investor
from fairlend.web.once import new_form_key, once
from fairlend.web.rendering import Csrf, PageRedirect, check_csrf, error_text, redirect, render

router = APIRouter(include_in_schema=False)
HOME = "/investor/market"


def _amount(container: Container, text: str | None) -> Money | None:
    if text is None or not text.strip():
        return None
    return Money.parse(text, container.profile.currency, grouping=True)


def premium_bps(text: str) -> int:
    """A premium typed in percent ("-2.5" is a 2.5 % discount) as whole basis points."""
    try:
        value = Decimal(text.strip().replace("%", "").replace("−", "-")) * 100
    except InvalidOperation:
        raise Invalid("price_invalid", "give the premium or discount in percent, such as -2.5") from None
    if not value.is_finite() or value != value.to_integral_value() or abs(value) > 10**6:
        raise Invalid("price_invalid", "give the premium or discount in percent, to two decimal places at most")
    return int(value)


def _status_code(exc: DomainError) -> int:
    return 409 if exc.code.startswith("payment_key") or exc.code == "payment_in_progress" else 422


# ---- browsing ---------------------------------------------------------------------------------


@router.get(HOME, response_class=HTMLResponse)
def market(request: Request, container: ContainerDep) -> HTMLResponse:
    who = investor(request, container)
    found = container.market.orders.browse(limit=100)
    return render(request, container, "investor/market.html", orders=found, me=who.subject_id)


def _order_page(request: Request, container: Container, who: Principal, order_id: str, **context: Any) -> HTMLResponse:
    orders = container.market.orders
    try:
        order = orders.get(order_id)
    except NotFound:
        raise PageRedirect(HOME) from None
    return render(
        request,
        container,
        "investor/market_order.html",
        order=order,
        history=orders.history(order_id),
        mine=order.seller_id == who.subject_id,
        open=order.status is OrderStatus.OPEN,
        form_key=new_form_key(),
        done=request.query_params.get("done", ""),
        **context,
    )


@router.get(HOME + "/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, container: ContainerDep, order_id: str) -> HTMLResponse:
    return _order_page(request, container, investor(request, container), order_id)


# ---- selling ----------------------------------------------------------------------------------


def _sell_page(request: Request, container: Container, who: Principal, **context: Any) -> HTMLResponse:
    market_ = container.market
    notes = [n for n in market_.notes.of_holder(who.subject_id) if n.outstanding.minor > 0]
    return render(
        request,
        container,
        "investor/market_sell.html",
        notes=notes,
        note_size=Money(market_.profile.marketplace.note_minimum_minor, container.profile.currency),
        orders=market_.orders.browse(status=None, seller_id=who.subject_id, limit=100),
        form_key=new_form_key(),
        **context,
    )


@router.get(HOME + "/sell", response_class=HTMLResponse)
def sell_page(request: Request, container: ContainerDep) -> HTMLResponse:
    return _sell_page(request, container, investor(request, container))


@router.post(HOME + "/orders", response_model=None)
def place(
    request: Request,
    container: ContainerDep,
    note_id: Annotated[str, Form()],
    premium: Annotated[str, Form()],
    form_key: Annotated[str, Form()],
    amount: Annotated[str | None, Form()] = None,
    csrf: Csrf = None,
) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    try:
        part = _amount(container, amount)
        bps = premium_bps(premium)
        asked = f"{note_id}\n{part.minor if part else 'whole'}\n{bps}"
        made = once(
            container,
            who,
            "investor:sell",
            form_key,
            asked,
            lambda: container.market.orders.place(who.subject_id, note_id, part, bps).id,
        )
    except DomainError as exc:
        return _sell_page(
            request, container, who, error=error_text(request, container, exc), status_code=_status_code(exc)
        )
    return redirect(f"{HOME}/orders/{made}?done=listed")


@router.post(HOME + "/orders/{order_id}/cancel", response_model=None)
def cancel(
    request: Request, container: ContainerDep, order_id: str, form_key: Annotated[str, Form()], csrf: Csrf = None
) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    try:
        once(
            container,
            who,
            "investor:cancel_order",
            form_key,
            order_id,
            lambda: container.market.orders.cancel(who.subject_id, order_id).id,
        )
    except DomainError as exc:
        text = error_text(request, container, exc)
        return _order_page(request, container, who, order_id, error=text, status_code=_status_code(exc))
    return redirect(f"{HOME}/orders/{order_id}?done=cancelled")


# ---- buying -----------------------------------------------------------------------------------


@router.post(HOME + "/orders/{order_id}/buy", response_model=None)
def buy(
    request: Request,
    container: ContainerDep,
    order_id: str,
    form_key: Annotated[str, Form()],
    max_price: Annotated[str, Form()],
    acknowledged: Annotated[str | None, Form()] = None,
    csrf: Csrf = None,
) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    try:
        limit = _amount(container, max_price)

        def run() -> str:
            return container.market.trades.buy(
                who.subject_id, order_id, max_price=limit, acknowledged=acknowledged or None
            ).id

        once(container, who, "investor:buy_order", form_key, f"{order_id}\n{max_price}\n{acknowledged}", run)
    except DomainError as exc:
        text = error_text(request, container, exc)
        return _order_page(request, container, who, order_id, error=text, status_code=_status_code(exc))
    return redirect(f"{HOME}/trades?done={order_id}")


@router.get(HOME + "/trades", response_class=HTMLResponse)
def trades(request: Request, container: ContainerDep) -> HTMLResponse:
    who = investor(request, container)
    return render(
        request,
        container,
        "investor/market_trades.html",
        trades=container.market.trades.of_investor(who.subject_id),
        me=who.subject_id,
        done=request.query_params.get("done", ""),
    )
