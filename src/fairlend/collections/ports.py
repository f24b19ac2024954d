"""What collections needs from other contexts and from the outside world.

Each port is a `typing.Protocol` shaped after the service that will stand
behind it; `fakes.py` holds in-memory adapters for tests and development.
At merge the lead wires the real ones (lending, identity, bureau.client, an
SMS gateway, a telephony provider, mail).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection, Select

from fairlend.batch.model import Partition
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

    def delinquent_loans(self, min_dpd: int, part: Partition | None = None) -> Iterable[DelinquentLoan]:
        """Loans at least `min_dpd` days past due (of one partition's borrowers: end-of-day in partitions)."""
        ...

    def upcoming_dues(self, on: date, days_ahead: int, part: Partition | None = None) -> Iterable[UpcomingDue]:
        """Installments falling due between `on` and `on + days_ahead` (reminders before the due date)."""
        ...

    # End-of-day planning embeds these in one INSERT ... SELECT (lending/published.py has the column
    # contract). `conn` is the planning transaction's: an in-memory adapter stages its rows there.

    def overdue_book(self, conn: Connection, min_dpd: int, part: Partition | None = None) -> Select[Any]:
        """`borrower_id`, `loan_id`, `dpd`, `overdue_minor`, `currency` of loans at least `min_dpd` past due."""
        ...

    def dues_book(self, conn: Connection, first: date, last: date, part: Partition | None = None) -> Select[Any]:
        """`borrower_id`, `loan_id`, `due_date`, `due_day`, `amount_minor`, `currency`: one row per unpaid
        installment due from `first` to `last` (several on one date where a plan bills what it carries)."""
        ...


class ContactPointPort(Protocol):
    """identity: a person's registered phone (masked for display) and time zone."""

    def contact_point(self, person_id: str, purpose: str = "collections_contact") -> ContactPoint | None:
        """`purpose` is what identity's audit log records the reading as."""
        ...

    def contact_points(
        self, person_ids: Collection[str], purpose: str = "collections_contact"
    ) -> dict[str, ContactPoint]:
        """`contact_point` of many people at once (each reading logged as one), leaving out who has none."""
        ...


class OtpPort(Protocol):
    """identity's one-time codes: a contact person proves the phone is theirs and that they agree.

    `issue_code` makes a code under identity's limits and returns it unsent:
    collections delivers it through its own gateway, so the message to the
    contact person is checked and logged like every other (P-4).
    """

    def issue_code(self, phone: str, purpose: str, client: str) -> str:
        """`client` is whose budget the code spends: the borrower who named the person."""
        ...

    def verify_code(self, phone: str, code: str, purpose: str) -> bool: ...


class Sealer(Protocol):
    """identity's personal-data vault, for what collections stores about people (DESIGN 4 and 10).

    `seal` gives an opaque text safe to store; `open` gives the value back.
    The purpose binds a sealed value to its column: a sealed name cannot be
    passed off as a sealed phone. Collections seals contact persons' phones
    and names, every contact-log text, complaints and their files; the log,
    cease requests and events carry only masked forms and the keyed `number_key`.
    """

    def seal(self, value: str, purpose: str) -> str: ...

    def open(self, sealed: str, purpose: str) -> str:
        """The value; raises `SealBroken` when no configured key opens it (an operations fault)."""
        ...

    def reseal(self, sealed: str, purpose: str) -> str | None:
        """The value sealed under the current key, or None when it already is (key rotation)."""
        ...


# What each sealed column holds (the vault's purpose: a ciphertext opens only for its own).
CONTACT_PERSON_PHONE = "collections.contact_person.phone"
CONTACT_PERSON_NAME = "collections.contact_person.name"
LOG_TEXT = "collections.contact_log.text"
DISPATCH = "collections.contact_dispatch"
COMPLAINT_TEXT = "collections.complaint.text"
COMPLAINT_FILE = "collections.complaint.file"


class SealBroken(Exception):
    """A sealed phone no configured key opens, or one that was tampered with: never the caller's fault."""


class DisputePort(Protocol):
    """bureau.client: is a credit-report dispute about this loan open?"""

    def has_open_dispute(self, borrower_id: str, loan_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    medium: Medium
    address: str  # phone number, e-mail or postal address; never shown in the log
    text: str  # exactly what the person receives (secrets filled in)
    template: str
    log_id: str
    # Values in the text the log shows masked (a one-time code), for providers that take them apart.
    secrets: Mapping[str, str] = field(default_factory=dict)


class ChannelPort(Protocol):
    """One medium's way out (SMS gateway, telephony, mail, letters, field visits).

    `send` must be idempotent on `message.log_id` (providers take it as the
    client reference): after a crash the dispatcher may hand the same message
    over again, and the person must receive it once.
    """

    def send(self, message: OutboundMessage) -> DeliveryResult: ...
