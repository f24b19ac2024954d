"""The marketplace over HTTP: investors' wallet, listings, investments and notes; operators' controls.

Investing and moving cash are for investors only (a borrower's token is
refused); every call that moves money needs an Idempotency-Key. Listings
carry no personal data of the borrower (MK-6): `ListingPublic` has no field
that could. Amounts are exact decimal strings in major units.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from fairlend.api.amounts import Amount
from fairlend.api.auth import require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey, require_key
from fairlend.api.routers.lending_models import MoneyPublic
from fairlend.identity.model import Principal, Role
from fairlend.market.model import (
    CommitmentView,
    ListingFilter,
    ListingView,
    MovementView,
    NoteView,
    WalletView,
)
from fairlend.market.portfolio_export import portfolio_data, statement_csv, statement_data
from fairlend.money import Money

router = APIRouter(prefix="/market", tags=["market"])

Investor = Annotated[Principal, Depends(require_roles(Role.INVESTOR))]
Browser = Annotated[
    Principal,
    Depends(require_roles(Role.INVESTOR, Role.UNDERWRITER, Role.COLLECTOR, Role.COMPLIANCE, Role.FINANCE, Role.ADMIN)),
]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


class InvestorCreate(BaseModel):
    agreement_version: str = Field(min_length=1, max_length=60, description="the investor agreement accepted")
    net_worth: Amount | None = Field(default=None, description="stated net worth (MK-5 suitability), major units")


class InvestorPublic(BaseModel):
    investor_id: str
    agreement_version: str
    net_worth: MoneyPublic | None


class AmountCreate(BaseModel):
    amount: Amount = Field(description="major units, e.g. 500.00")


class InvestmentCreate(AmountCreate):
    acknowledged_risk: bool = Field(
        default=False, description="MK-4: the investor saw the large-investment warning and goes ahead"
    )


class WalletPublic(BaseModel):
    cash: MoneyPublic
    committed: MoneyPublic
    available: MoneyPublic

    @classmethod
    def of(cls, w: WalletView) -> WalletPublic:
        return cls(
            cash=MoneyPublic.of(w.cash), committed=MoneyPublic.of(w.committed), available=MoneyPublic.of(w.available)
        )


class MovementPublic(BaseModel):
    id: str
    kind: str
    status: str
    amount: MoneyPublic
    rail_reference: str

    @classmethod
    def of(cls, m: MovementView) -> MovementPublic:
        return cls(
            id=m.id,
            kind=m.kind.value,
            status=m.status.value,
            amount=MoneyPublic.of(m.amount),
            rail_reference=m.rail_reference,
        )


class BorrowerProfilePublic(BaseModel):
    """Bands and flags only: never a name, ID number, phone, card or address (MK-6)."""

    income_band: str
    dti_band: str
    credit_history: str
    identity_verified: bool
    bank_card_verified: bool
    income_verified: bool
    inquiries_6_months: int


class ListingPublic(BaseModel):
    id: str
    status: str
    amount: MoneyPublic
    funded: MoneyPublic
    funded_share: Decimal
    term_months: int
    grade: str
    nominal_rate: Decimal
    apr: Decimal
    purpose: str
    borrower: BorrowerProfilePublic
    deadline: date

    @classmethod
    def of(cls, v: ListingView) -> ListingPublic:
        return cls(
            id=v.id,
            status=v.status.value,
            amount=MoneyPublic.of(v.amount),
            funded=MoneyPublic.of(v.funded),
            funded_share=v.funded_share,
            term_months=v.term_months,
            grade=v.grade,
            nominal_rate=v.nominal_rate,
            apr=v.apr,
            purpose=v.purpose,
            borrower=BorrowerProfilePublic.model_validate(v.borrower),
            deadline=v.deadline,
        )


class InvestmentPublic(BaseModel):
    id: str
    listing_id: str
    status: str
    amount: MoneyPublic
    loan_id: str | None

    @classmethod
    def of(cls, c: CommitmentView) -> InvestmentPublic:
        return cls(
            id=c.id, listing_id=c.listing_id, status=c.status.value, amount=MoneyPublic.of(c.amount), loan_id=c.loan_id
        )


class NotePublic(BaseModel):
    id: str
    loan_id: str
    listing_id: str
    principal: MoneyPublic
    outstanding: MoneyPublic

    @classmethod
    def of(cls, n: NoteView) -> NotePublic:
        return cls(
            id=n.id,
            loan_id=n.loan_id,
            listing_id=n.listing_id,
            principal=MoneyPublic.of(n.principal),
            outstanding=MoneyPublic.of(n.outstanding),
        )


class DeadlinePublic(BaseModel):
    originated: list[str]
    partial: list[str]
    cancelled: list[str]


def _money(container: ContainerDep, amount: Decimal) -> Money:
    return Money.of(amount, container.profile.currency)


@router.post("/investor", response_model=InvestorPublic)
def register(
    body: InvestorCreate, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> InvestorPublic:
    """Accept the investor agreement (and state net worth where the profile limits notes by it)."""
    worth = None if body.net_worth is None else _money(container, body.net_worth)
    view = container.market.wallets.register(
        principal.subject_id, agreement_version=body.agreement_version, net_worth=worth
    )
    return InvestorPublic(
        investor_id=view.investor_id,
        agreement_version=view.agreement_version,
        net_worth=None if view.net_worth is None else MoneyPublic.of(view.net_worth),
    )


@router.get("/wallet", response_model=WalletPublic)
def wallet(container: ContainerDep, principal: Investor) -> WalletPublic:
    return WalletPublic.of(container.market.wallets.wallet(principal.subject_id))


@router.post("/wallet/deposits", response_model=MovementPublic, status_code=status.HTTP_201_CREATED)
def deposit(
    body: AmountCreate, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> MovementPublic:
    require_key(idempotency_key)
    return MovementPublic.of(container.market.wallets.deposit(principal.subject_id, _money(container, body.amount)))


@router.post("/wallet/withdrawals", response_model=MovementPublic, status_code=status.HTTP_201_CREATED)
def withdraw(
    body: AmountCreate, container: ContainerDep, principal: Investor, idempotency_key: IdempotencyKey = None
) -> MovementPublic:
    require_key(idempotency_key)
    return MovementPublic.of(container.market.wallets.withdraw(principal.subject_id, _money(container, body.amount)))


@router.get("/listings", response_model=list[ListingPublic])
def listings(
    container: ContainerDep,
    principal: Browser,
    grade: Annotated[list[str] | None, Query()] = None,
    term: Annotated[list[int] | None, Query()] = None,
    purpose: Annotated[list[str] | None, Query()] = None,
    min_rate: Annotated[Decimal | None, Query(ge=0, le=10)] = None,
    max_rate: Annotated[Decimal | None, Query(ge=0, le=10)] = None,
    min_funded: Annotated[Decimal | None, Query(ge=0, le=1, description="funded share, 0..1")] = None,
    max_funded: Annotated[Decimal | None, Query(ge=0, le=1)] = None,
    listing_status: Annotated[str, Query(alias="status")] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ListingPublic]:
    wanted = ListingFilter(
        tuple(grade or ()),
        tuple(term or ()),
        min_rate,
        max_rate,
        tuple(purpose or ()),
        min_funded,
        max_funded,
        listing_status,
    )
    return [ListingPublic.of(v) for v in container.market.listings.browse(wanted, limit=limit, offset=offset)]


@router.get("/listings/{listing_id}", response_model=ListingPublic)
def listing(listing_id: str, container: ContainerDep, principal: Browser) -> ListingPublic:
    return ListingPublic.of(container.market.listings.get(listing_id))


@router.post("/listings/{listing_id}/investments", response_model=InvestmentPublic, status_code=status.HTTP_201_CREATED)
def invest(
    listing_id: str,
    body: InvestmentCreate,
    container: ContainerDep,
    principal: Investor,
    idempotency_key: IdempotencyKey = None,
) -> InvestmentPublic:
    require_key(idempotency_key)
    made = container.market.commitments.invest(
        principal.subject_id, listing_id, _money(container, body.amount), acknowledged_risk=body.acknowledged_risk
    )
    return InvestmentPublic.of(made)


@router.get("/investments", response_model=list[InvestmentPublic])
def investments(container: ContainerDep, principal: Investor) -> list[InvestmentPublic]:
    return [InvestmentPublic.of(c) for c in container.market.commitments.of_investor(principal.subject_id)]


@router.get("/notes", response_model=list[NotePublic])
def notes(container: ContainerDep, principal: Investor) -> list[NotePublic]:
    return [NotePublic.of(n) for n in container.market.notes.of_holder(principal.subject_id)]


@router.post("/listings/{listing_id}/close", status_code=status.HTTP_204_NO_CONTENT)
def close(listing_id: str, container: ContainerDep, principal: Admin, idempotency_key: IdempotencyKey = None) -> None:
    """Withdraw an open listing: cancelled, investors' cash released, the offer not funded."""
    container.market.funding.close(listing_id)


@router.post("/deadline", response_model=DeadlinePublic)
def deadline(container: ContainerDep, principal: Admin, idempotency_key: IdempotencyKey = None) -> DeadlinePublic:
    """Run the listing deadline for today's business date (end-of-day runs it too)."""
    report = container.market.funding.deadline()
    return DeadlinePublic(
        originated=list(report.originated), partial=list(report.partial), cancelled=list(report.cancelled)
    )


# -- portfolio and statements (issue #13 item 7; market/portfolio.py) ----------------------------


class PortfolioPublic(BaseModel):
    """The investor's figures, read from the ledger; `nar` is LendingClub's net annualised return."""

    as_of: date
    cash: MoneyPublic
    committed: MoneyPublic
    available: MoneyPublic
    outstanding: MoneyPublic
    invested: MoneyPublic
    bought: MoneyPublic  # paid for notes bought on the secondary market
    sold: MoneyPublic  # received for notes sold there
    principal_received: MoneyPublic
    interest_received: MoneyPublic
    fees_paid: MoneyPublic
    recoveries_received: MoneyPublic
    charged_off: MoneyPublic
    written_down: MoneyPublic  # principal hardship plans wrote off loans still on the books
    net_received: MoneyPublic
    nar: Decimal | None
    notes_by_status: dict[str, dict[str, object]]
    months: list[dict[str, object]]
    grades: list[dict[str, object]]


@router.get("/portfolio", response_model=PortfolioPublic)
def portfolio(container: ContainerDep, principal: Investor) -> PortfolioPublic:
    return PortfolioPublic.model_validate(portfolio_data(container.market.portfolios.portfolio(principal.subject_id)))


@router.get("/statements", response_model=None)
def statements(
    container: ContainerDep,
    principal: Investor,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    """Every movement of the investor's cash in the period, with opening and closing balances (JSON or CSV)."""
    found = container.market.portfolios.statement(principal.subject_id, start, end)
    if format == "csv":
        name = f"statement-{start.isoformat()}-{end.isoformat()}.csv"
        return Response(
            statement_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(statement_data(found))
