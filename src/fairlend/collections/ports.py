"""What collections needs from other contexts and from the outside world.

Each port is a `typing.Protocol` shaped after the service that will stand
behind it; `fakes.py` holds in-memory adapters for tests and development.
At merge the lead wires the real ones (lending, identity, bureau.client, an
SMS gateway, a telephony provider, mail).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from fairlend.collections.model import ContactPoint, DelinquentLoan, DeliveryResult, LoanFacts, Medium
from fairlend.money import Money


@dataclass(frozen=True, slots=True)
class UpcomingDue:
    loan_id: str
    borrower_id: str
    due_date: date
    amount_due: Money


class LendingPort(Protocol):
    """lending's service: loan facts at the moment of sending, and the overdue book."""

    def loan_facts(self, loan_id: str) -> LoanFacts | None: ...

    def delinquent_loans(self, min_dpd: int) -> Iterable[DelinquentLoan]: ...

    def upcoming_dues(self, on: date, days_ahead: int) -> Iterable[UpcomingDue]:
        """Installments falling due between `on` and `on + days_ahead` (reminders before the due date)."""
        ...


class ContactPointPort(Protocol):
    """identity: a person's registered phone (masked for display) and time zone."""

    def contact_point(self, person_id: str) -> ContactPoint | None: ...


class OtpPort(Protocol):
    """identity's one-time codes: a contact person proves the phone is theirs and that they agree."""

    def send_code(self, phone: str, purpose: str) -> None: ...

    def verify_code(self, phone: str, code: str, purpose: str) -> bool: ...


class PhoneVault(Protocol):
    """identity's personal-data vault, for the phones collections keeps (DESIGN 4: encrypted at rest).

    `seal` gives an opaque text safe to store; `open` gives the number back. Only
    the contact person's row holds a sealed number: the log, cease requests and
    events carry the masked form and the keyed `number_key`, never the number.
    """

    def seal(self, phone: str) -> str: ...

    def open(self, sealed: str) -> str:
        """The number; raises `SealBroken` when no configured key opens it (an operations fault)."""
        ...

    def reseal(self, sealed: str) -> str | None:
        """The value sealed under the current key, or None when it already is (key rotation)."""
        ...


class SealBroken(Exception):
    """A sealed phone no configured key opens, or one that was tampered with: never the caller's fault."""


class DisputePort(Protocol):
    """bureau.client: is a credit-report dispute about this loan open?"""

    def has_open_dispute(self, borrower_id: str, loan_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    medium: Medium
    address: str  # phone number, e-mail or postal address; never shown in the log
    text: str
    template: str
    log_id: str


class ChannelPort(Protocol):
    """One medium's way out (SMS gateway, telephony, mail, letters, field visits)."""

    def send(self, message: OutboundMessage) -> DeliveryResult: ...
