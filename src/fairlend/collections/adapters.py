"""Real adapters for collections' ports, over the contexts that have landed.

identity: contact points (audit-logged by identity as the system's use),
one-time codes (`confirm_contact`) and the personal-data vault (contact
persons' phones). bureau.client: open disputes. lending's adapter joins
here when that context lands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from fairlend.bureau.client import BureauClient
from fairlend.collections.model import ContactPoint, DelinquentLoan, LoanFacts, LoanState
from fairlend.collections.ports import SealBroken, UpcomingDue
from fairlend.errors import Invalid, NotFound
from fairlend.identity.pii import PiiVault, VaultError
from fairlend.identity.service import IdentityService
from fairlend.lending.service import LendingService

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


class LendingLoans:
    """collections' `LendingPort` over lending's service: facts at the moment of sending."""

    def __init__(self, lending: LendingService) -> None:
        self._lending = lending

    def loan_facts(self, loan_id: str) -> LoanFacts | None:
        try:
            facts = self._lending.loan_facts(loan_id)
        except NotFound:
            return None
        return LoanFacts(
            loan_id=facts.loan_id,
            borrower_id=facts.borrower_id,
            state=LoanState(facts.state.value),
            currency=facts.currency,
            overdue_amount=facts.overdue_amount,
            days_past_due=facts.days_past_due,
            bucket=facts.bucket,
            settled_on=facts.settled_on,
        )

    def delinquent_loans(self, min_dpd: int) -> Iterable[DelinquentLoan]:
        for row in self._lending.delinquent_loans(min_dpd):
            yield DelinquentLoan(row.loan_id, row.borrower_id, row.days_past_due, row.overdue_amount, row.bucket)

    def upcoming_dues(self, on: date, days_ahead: int) -> Iterable[UpcomingDue]:
        for offset in range(days_ahead + 1):
            for due in self._lending.due_soon(on + timedelta(days=offset)):
                yield UpcomingDue(due.loan_id, due.borrower_id, due.due_date, due.amount)
