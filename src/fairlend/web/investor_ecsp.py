"""The investor portal's MK-4 (ECSP) pages: a listing's key investment information sheet, revoking an investment.

The sheet (Regulation (EU) 2020/1503 art. 23) is drawn from the listing as
investors see it (`ListingView`: bands and flags, never personal data, MK-6)
and the profile's fees, risk warning and reflection period; it says that no
authority has checked it. The entry knowledge test and the loss simulation
(art. 21) are one form; the questions' wording is in the locales (ecsp.json). Revoking (art. 22) is a button beside each
investment still reserved on the notes page, inside the reflection period.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.bootstrap import Container
from fairlend.errors import DomainError, NotFound
from fairlend.market.ecsp import PASS_MARK, QUESTIONS
from fairlend.money import Money
from fairlend.web.investor import HOME, investor, notes_page
from fairlend.web.rendering import Csrf, PageRedirect, check_csrf, error_text, redirect, render

router = APIRouter(include_in_schema=False)


@router.get(HOME + "/listings/{listing_id}/sheet", response_class=HTMLResponse)
def sheet(request: Request, container: ContainerDep, listing_id: str) -> HTMLResponse:
    investor(request, container)
    try:
        listing = container.market.listings.get(listing_id)
    except NotFound:
        raise PageRedirect(HOME + "/listings") from None
    market = container.market.profile.marketplace
    return render(
        request,
        container,
        "investor/ecsp_sheet.html",
        listing=listing,
        servicing_fee_percent=market.servicing_fee_rate * 100,
        servicing_fee_within_days=market.servicing_fee_within_days,
        reflection_days=market.investors.reflection_days if market.investors.ecsp else 0,
    )


@router.post(HOME + "/investments/{commitment_id}/revoke", response_model=None)
def revoke(request: Request, container: ContainerDep, commitment_id: str, csrf: Csrf = None) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    try:
        container.market.commitments.revoke(who.subject_id, commitment_id)
    except DomainError as exc:
        return notes_page(
            request,
            container,
            who,
            error=error_text(request, container, exc),
            status_code=409 if exc.status == 409 else 422,
        )
    return redirect(HOME + "/notes?revoked=1")


# ---- the entry knowledge test and the loss simulation (art. 21) -------------------------------


def _test_page(request: Request, container: Container, **context: Any) -> HTMLResponse:
    who = investor(request, container)
    return render(
        request,
        container,
        "investor/ecsp_test.html",
        questions=QUESTIONS,
        pass_mark=PASS_MARK,
        result=container.market.safeguards.entry_test(who.subject_id),
        required=container.market.safeguards.on,
        **context,
    )


@router.get(HOME + "/entry-test", response_class=HTMLResponse)
def entry_test(request: Request, container: ContainerDep) -> HTMLResponse:
    return _test_page(request, container)


@router.post(HOME + "/entry-test", response_model=None)
async def take_entry_test(request: Request, container: ContainerDep, csrf: Csrf = None) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    form = await request.form()
    answers = {q.id: str(form.get(q.id) or "") for q in QUESTIONS}
    currency = container.profile.currency
    try:
        figures = {
            name: Money.parse(str(form.get(name) or "0"), currency, grouping=True)
            for name in ("yearly_income", "liquid_assets", "yearly_commitments")
        }
        taken = container.market.safeguards.take_entry_test(who.subject_id, answers, **figures)
    except DomainError as exc:
        return _test_page(request, container, error=error_text(request, container, exc), status_code=422)
    return _test_page(request, container, taken=taken)
