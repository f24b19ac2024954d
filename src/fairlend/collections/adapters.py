"""Real adapters for collections' ports, over the contexts that have landed.

identity: contact points (audit-logged by identity as the system's use) and
one-time codes (`confirm_contact`). lending and bureau.client adapters join
here when those contexts land.
"""

from __future__ import annotations

from collections.abc import Callable

from fairlend.bureau.client import BureauClient
from fairlend.collections.model import ContactPoint
from fairlend.errors import Invalid, NotFound
from fairlend.identity.service import IdentityService


class IdentityContactPoints:
    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity

    def contact_point(self, person_id: str) -> ContactPoint | None:
        try:
            point = self._identity.contact_point(person_id, purpose="collections_contact")
        except NotFound:
            return None
        return ContactPoint(point.phone_e164, point.masked_phone, point.timezone)


class IdentityOtp:
    """identity's one-time codes: a wrong code is False; expired or locked codes keep identity's error."""

    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity

    def send_code(self, phone: str, purpose: str) -> None:
        self._identity.otp.send_code(phone, purpose)

    def verify_code(self, phone: str, code: str, purpose: str) -> bool:
        try:
            self._identity.otp.verify_code(phone, code, purpose)
        except Invalid as exc:
            if exc.code == "code_wrong":
                return False
            raise
        return True


class BureauDisputes:
    """collections' `DisputePort` over the credit bureau's client (P-3).

    fairlend reports each loan under its loan id, so an open dispute about
    that account at the bureau pauses collection contacts about the loan.
    """

    def __init__(self, client: Callable[[], BureauClient]) -> None:
        self._client = client

    def has_open_dispute(self, borrower_id: str, loan_id: str) -> bool:
        client = self._client()
        return client.has_open_dispute(client.institution_id, loan_id)
