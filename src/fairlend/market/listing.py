"""Listings: an accepted offer shown to investors, with its terms, progress and an anonymous borrower.

A listing's row knows the borrower (funding books the loan to them); its view
never does: `ListingView` carries no id, name, number or address of a person.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, insert, select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.market.model import ListingFilter, ListingStatus, ListingView, borrower_profile
from fairlend.market.tables import market_listing
from fairlend.money import Money
from fairlend.origination.model import ListingFacts
from fairlend.origination.ports import FundingRequest

MAX_PAGE = 200
_NO_FACTS = ListingFacts(None, 0, None, False, False, False, 0)


def listing_view(row: Any) -> ListingView:
    currency = row.currency
    return ListingView(
        id=row.id,
        status=ListingStatus(row.status),
        amount=Money(row.amount_minor, currency),
        funded=Money(row.funded_minor, currency),
        term_months=row.term_months,
        grade=row.grade,
        nominal_rate=row.nominal_rate,
        apr=row.apr,
        purpose=row.purpose,
        borrower=dict(row.profile),
        deadline=row.deadline,
        loan_id=row.loan_id,
    )


def listing_row(uow: UnitOfWork, listing_id: str) -> Any:
    row = uow.conn.execute(select(market_listing).where(market_listing.c.id == listing_id)).first()
    if row is None:
        raise NotFound("listing_not_found", f"no listing {listing_id}")
    return row


class Listings:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile) -> None:
        self._uow = uow
        self._profile = profile

    def insert(self, uow: UnitOfWork, request: FundingRequest, deadline: date) -> str:
        quote = request.quote
        facts = request.facts or _NO_FACTS
        listing_id = new_id("lst")
        uow.conn.execute(
            insert(market_listing).values(
                id=listing_id,
                offer_id=request.offer_id,
                borrower_id=request.borrower_id,
                contract_id=request.contract_id,
                status=ListingStatus.OPEN.value,
                currency=quote.amount.currency,
                amount_minor=quote.amount.minor,
                funded_minor=0,
                fee_minor=quote.fee.minor,
                term_months=quote.term_months,
                grade=request.grade,
                nominal_rate=quote.nominal_rate,
                rate_e6=_e6(quote.nominal_rate),
                apr=quote.apr,
                purpose=facts.purpose,
                profile=borrower_profile(facts, quote.amount.currency),
                partial_ok=request.partial_ok,
                deadline=deadline,
                listed_at=uow.clock.now(),
            )
        )
        return listing_id

    def get(self, listing_id: str) -> ListingView:
        with self._uow(read_only=True) as uow:
            return listing_view(listing_row(uow, listing_id))

    def browse(self, wanted: ListingFilter | None = None, *, limit: int = 50, offset: int = 0) -> list[ListingView]:
        """Listings by filter (grade, term, rate range, purpose, funded share), soonest deadline first."""
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise Invalid("invalid_page", f"a page holds 1 to {MAX_PAGE} listings from offset 0 on")
        query = _filtered(wanted or ListingFilter())
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                query.order_by(market_listing.c.deadline, market_listing.c.id).limit(limit).offset(offset)
            ).all()
        return [listing_view(r) for r in rows]


def _e6(rate: Decimal) -> int:
    if not Decimal(0) <= rate <= Decimal(10):
        raise Invalid("invalid_rate", "a rate is between 0 and 10 (1000 %)")
    return int(rate * 1_000_000)


def _basis_points(share: Decimal) -> int:
    if not Decimal(0) <= share <= Decimal(1):
        raise Invalid("invalid_funded_share", "a funded share is between 0 and 1")
    return int(share * 10_000)


def _filtered(f: ListingFilter) -> Select[Any]:
    c = market_listing.c
    try:
        status = ListingStatus(f.status)
    except ValueError:
        raise Invalid("invalid_status", "a listing is open, funded or cancelled") from None
    query = select(market_listing).where(c.status == status.value)
    if f.grades:
        query = query.where(c.grade.in_(f.grades))
    if f.terms:
        query = query.where(c.term_months.in_(f.terms))
    if f.purposes:
        query = query.where(c.purpose.in_(f.purposes))
    if f.min_rate is not None:
        query = query.where(c.rate_e6 >= _e6(f.min_rate))
    if f.max_rate is not None:
        query = query.where(c.rate_e6 <= _e6(f.max_rate))
    # funded % in whole basis points, in integers: the same answer on SQLite and PostgreSQL
    if f.min_funded_share is not None:
        query = query.where(c.funded_minor * 10_000 >= c.amount_minor * _basis_points(f.min_funded_share))
    if f.max_funded_share is not None:
        query = query.where(c.funded_minor * 10_000 <= c.amount_minor * _basis_points(f.max_funded_share))
    return query
