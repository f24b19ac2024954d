"""The investor portal's MK-4 (ECSP) pages: a listing's key investment information sheet, revoking an investment.

The sheet (Regulation (EU) 2020/1503 art. 23) is drawn from the listing as
investors see it (`ListingView`: bands and flags, never personal data, MK-6)
and the profile's fees, risk warning and reflection period; it says that no
authority has checked it. Revoking (art. 22) is a button beside each
investment still reserved on the notes page, inside the reflection period.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from fairlend.api.deps import ContainerDep
from fairlend.errors import DomainError, NotFound
from fairlend.market.returns import NOTE_STATUSES
from fairlend.web.investor import HOME, investor, market_risk_warning, reserved_investments
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
        risk_warning=market_risk_warning(request, container),
    )


@router.post(HOME + "/investments/{commitment_id}/revoke", response_model=None)
def revoke(request: Request, container: ContainerDep, commitment_id: str, csrf: Csrf = None) -> Response:
    who = investor(request, container)
    check_csrf(request, csrf)
    try:
        container.market.commitments.revoke(who.subject_id, commitment_id)
    except DomainError as exc:
        view = container.market.portfolios.portfolio(who.subject_id)
        return render(
            request,
            container,
            "investor/notes.html",
            p=view,
            statuses=NOTE_STATUSES,
            **reserved_investments(container, who.subject_id),
            error=error_text(request, container, exc),
            status_code=409 if exc.status == 409 else 422,
        )
    return redirect(HOME + "/notes?revoked=1")
