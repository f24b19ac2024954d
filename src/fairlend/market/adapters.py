"""The marketplace's ports over the other contexts' services (wired by bootstrap)."""

from __future__ import annotations

from collections.abc import Collection

from fairlend.db.uow import UnitOfWork
from fairlend.errors import NotFound
from fairlend.identity.model import KycLevel
from fairlend.identity.service import IdentityService
from fairlend.money import Money
from fairlend.origination.service import OriginationService


class IdentityFacts:
    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity

    def verified(self, person_id: str) -> bool:
        try:
            reached = self._identity.person(person_id).kyc_levels
        except NotFound:
            return False
        return KycLevel.IDENTITY_VERIFIED in reached

    def same_person(self, a: str, b: str) -> bool:
        try:
            return self._identity.same_person(a, b)
        except NotFound:
            return a == b

    def verified_among(self, person_ids: Collection[str]) -> frozenset[str]:
        return self._identity.verified_among(person_ids)

    def same_person_among(self, person_id: str, others: Collection[str]) -> frozenset[str]:
        return self._identity.same_person_among(person_id, others)


class OriginationOffers:
    """Origination, reached lazily: origination is built with the market's funding port, then this."""

    def __init__(self) -> None:
        self.origination: OriginationService | None = None

    def listing_funded(
        self, uow: UnitOfWork, borrower_id: str, offer_id: str, loan_id: str, principal: Money, fee: Money
    ) -> None:
        if self.origination is not None:
            self.origination.listing_funded(uow, borrower_id, offer_id, loan_id, principal, fee)

    def listing_not_funded(self, uow: UnitOfWork, borrower_id: str, offer_id: str) -> None:
        if self.origination is not None:
            self.origination.listing_not_funded(uow, borrower_id, offer_id)
