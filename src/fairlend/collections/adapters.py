"""Real adapters for collections' ports, over the contexts that have landed.

identity: contact points (audit-logged by identity as the system's use),
one-time codes (`confirm_contact`) and the personal-data vault (contact
persons' phones). bureau.client: open disputes. lending's adapter joins
here when that context lands.
"""

from __future__ import annotations

from collections.abc import Callable

from fairlend.bureau.client import BureauClient
from fairlend.collections.model import ContactPoint
from fairlend.collections.ports import SealBroken
from fairlend.errors import Invalid, NotFound
from fairlend.identity.pii import PiiVault, VaultError
from fairlend.identity.service import IdentityService

# The vault binds a ciphertext to its purpose: a contact person's sealed phone
# cannot be passed off as a borrower's (identity's "phone") or any other column.
CONTACT_PERSON_PHONE = "collections.contact_person.phone"


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


class IdentityPhoneVault:
    """Contact persons' phones sealed by identity's PII vault (same keys, rotation and key ids)."""

    def __init__(self, vault: PiiVault) -> None:
        self._vault = vault

    def seal(self, phone: str) -> str:
        return self._vault.encrypt(phone, CONTACT_PERSON_PHONE)

    def open(self, sealed: str) -> str:
        try:
            return self._vault.decrypt(sealed, CONTACT_PERSON_PHONE)
        except (VaultError, ValueError) as exc:  # ValueError: not even kid:base64
            raise SealBroken(str(exc)) from exc

    def reseal(self, sealed: str) -> str | None:
        if not self._vault.needs_rotation(sealed):
            return None
        return self.seal(self.open(sealed))


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
