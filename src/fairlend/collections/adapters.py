"""Real adapters for collections' ports, over the contexts that have landed.

identity: contact points (audit-logged by identity as the system's use),
one-time codes (`confirm_contact`) and the personal-data vault (contact
persons' phones). bureau.client: open disputes. lending's adapter joins
here when that context lands.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Select

from fairlend.batch.model import Partition
from fairlend.bureau.client import BureauClient
from fairlend.collections.contact_persons import CONTACT_PERSON_PURPOSE
from fairlend.collections.model import ContactPoint, DelinquentLoan, DeliveryResult, LoanFacts, LoanState
from fairlend.collections.ports import OutboundMessage, SealBroken, UpcomingDue
from fairlend.errors import Invalid, NotFound
from fairlend.identity.pii import PiiVault, VaultError
from fairlend.identity.ports import MessageSender
from fairlend.identity.service import IdentityService
from fairlend.lending.service import LendingService


class IdentityContactPoints:
    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity

    def contact_point(self, person_id: str, purpose: str = "collections_contact") -> ContactPoint | None:
        try:
            point = self._identity.contact_point(person_id, purpose=purpose)
        except NotFound:
            return None
        return ContactPoint(point.phone_e164, point.masked_phone, point.timezone)

    def contact_points(
        self, person_ids: Collection[str], purpose: str = "collections_contact"
    ) -> dict[str, ContactPoint]:
        found = self._identity.contact_points(person_ids, purpose=purpose)
        return {p: ContactPoint(c.phone_e164, c.masked_phone, c.timezone) for p, c in found.items()}


class IdentityOtp:
    """identity's one-time codes: a wrong code is False; expired or locked codes keep identity's error."""

    def __init__(self, identity: IdentityService) -> None:
        self._identity = identity

    def issue_code(self, phone: str, purpose: str, client: str) -> str:
        return self._identity.otp.issue_code(phone, purpose, client=client).code

    def verify_code(self, phone: str, code: str, purpose: str) -> bool:
        try:
            self._identity.otp.verify_code(phone, code, purpose)
        except Invalid as exc:
            if exc.code == "code_wrong":
                return False
            raise
        return True


class IdentitySms:
    """collections' SMS channel over identity's `MessageSender`: the platform has one SMS gateway.

    In development identity's sender keeps what it sent for the development
    page (a contact person's consent code among them); in production without
    a configured gateway it refuses, and the gateway records the attempt as
    FAILED. A message handed over twice (a dispatcher after a crash) goes
    once: the port asks channels to be idempotent on the log id.
    """

    def __init__(self, sender: MessageSender) -> None:
        self._sender = sender
        self._delivered: set[str] = set()

    def send(self, message: OutboundMessage) -> DeliveryResult:
        if message.log_id not in self._delivered:
            code = message.secrets.get("code", "")
            # A code message carries identity's purpose for it (the development page lists codes by it).
            purpose = CONTACT_PERSON_PURPOSE if code else message.template
            self._sender.send(message.address, message.text, code=code, purpose=purpose)
            self._delivered.add(message.log_id)
        return DeliveryResult(reference=message.log_id)


class IdentitySealer:
    """What collections stores about people, sealed by identity's PII vault (same keys, rotation, key ids).

    The vault binds a ciphertext to its purpose: a contact person's sealed phone
    cannot be passed off as a borrower's (identity's "phone") or any other column.
    """

    def __init__(self, vault: PiiVault) -> None:
        self._vault = vault

    def seal(self, value: str, purpose: str) -> str:
        return self._vault.encrypt(value, purpose)

    def open(self, sealed: str, purpose: str) -> str:
        try:
            return self._vault.decrypt(sealed, purpose)
        except (VaultError, ValueError) as exc:  # ValueError: not even kid:base64
            raise SealBroken(str(exc)) from exc

    def reseal(self, sealed: str, purpose: str) -> str | None:
        if not self._vault.needs_rotation(sealed):
            return None
        return self.seal(self.open(sealed, purpose), purpose)


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
            next_due_date=facts.next_due_date,
            next_due_amount=facts.next_due_amount,
        )

    def delinquent_loans(self, min_dpd: int, part: Partition | None = None) -> Iterable[DelinquentLoan]:
        for row in self._lending.delinquent_loans(min_dpd, part):
            yield DelinquentLoan(row.loan_id, row.borrower_id, row.days_past_due, row.overdue_amount, row.bucket)

    def upcoming_dues(self, on: date, days_ahead: int, part: Partition | None = None) -> Iterable[UpcomingDue]:
        for offset in range(days_ahead + 1):
            for due in self._lending.due_soon(on + timedelta(days=offset), part):
                yield UpcomingDue(due.loan_id, due.borrower_id, due.due_date, due.amount)

    def overdue_book(self, conn: Connection, min_dpd: int, part: Partition | None = None) -> Select[Any]:
        return self._lending.overdue_book(min_dpd, part)

    def dues_book(self, conn: Connection, first: date, last: date, part: Partition | None = None) -> Select[Any]:
        return self._lending.upcoming_dues(first, last, part)
