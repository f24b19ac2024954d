"""In-memory adapters for the ports: development runs and tests.

The channel adapters record what would have been sent and send nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Date, Integer, MetaData, Select, String, Table, select, text

from fairlend.batch.model import Partition
from fairlend.collections.model import (
    ContactPoint,
    DelinquentLoan,
    DeliveryResult,
    LoanFacts,
    LoanState,
    Medium,
    mask_phone,
)
from fairlend.collections.ports import OutboundMessage, SealBroken, UpcomingDue


class InMemoryLending:
    def __init__(self) -> None:
        self.loans: dict[str, LoanFacts] = {}
        self.dues: list[UpcomingDue] = []

    def add(self, facts: LoanFacts) -> None:
        self.loans[facts.loan_id] = facts

    def settle(self, loan_id: str, on: date) -> None:
        facts = self.loans[loan_id]
        self.loans[loan_id] = replace(
            facts, state=LoanState.SETTLED, settled_on=on, days_past_due=0, overdue_amount=facts.overdue_amount * 0
        )

    def loan_facts(self, loan_id: str) -> LoanFacts | None:
        return self.loans.get(loan_id)

    def delinquent_loans(self, min_dpd: int, part: Partition | None = None) -> Iterable[DelinquentLoan]:
        for f in self.loans.values():
            if part is not None and not part.holds(f.borrower_id):
                continue
            if f.state is not LoanState.SETTLED and f.days_past_due >= max(min_dpd, 1):
                yield DelinquentLoan(f.loan_id, f.borrower_id, f.days_past_due, f.overdue_amount, f.bucket)

    def upcoming_dues(self, on: date, days_ahead: int, part: Partition | None = None) -> Iterable[UpcomingDue]:
        last = on + timedelta(days=days_ahead)
        return [d for d in self.dues if on <= d.due_date <= last and (part is None or part.holds(d.borrower_id))]

    def overdue_book(self, conn: Connection, min_dpd: int, part: Partition | None = None) -> Select[Any]:
        rows = [
            {
                "borrower_id": d.borrower_id,
                "loan_id": d.loan_id,
                "dpd": d.days_past_due,
                "overdue_minor": d.overdue_amount.minor,
                "currency": d.overdue_amount.currency,
            }
            for d in self.delinquent_loans(min_dpd, part)
        ]
        return _staged(conn, _OVERDUE, rows)

    def dues_book(self, conn: Connection, first: date, last: date, part: Partition | None = None) -> Select[Any]:
        rows = [
            {
                "borrower_id": d.borrower_id,
                "loan_id": d.loan_id,
                "due_date": d.due_date,
                "due_day": d.due_date.toordinal(),
                "amount_minor": d.amount_due.minor,
                "currency": d.amount_due.currency,
            }
            for d in self.upcoming_dues(first, (last - first).days, part)
        ]
        return _staged(conn, _DUES, rows)


# The in-memory book staged in the planning transaction's own temporary tables, so the planner's
# one INSERT ... SELECT runs over it as over lending's published views (never in the schema).
_STAGING = MetaData()
_OVERDUE = Table(
    "fake_overdue_book",
    _STAGING,
    Column("borrower_id", String(40)),
    Column("loan_id", String(40)),
    Column("dpd", Integer),
    Column("overdue_minor", BigInteger),
    Column("currency", String(3)),
    prefixes=["TEMPORARY"],
)
_DUES = Table(
    "fake_dues_book",
    _STAGING,
    Column("borrower_id", String(40)),
    Column("loan_id", String(40)),
    Column("due_date", Date),
    Column("due_day", Integer),
    Column("amount_minor", BigInteger),
    Column("currency", String(3)),
    prefixes=["TEMPORARY"],
)


def _staged(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> Select[Any]:
    conn.execute(text(f"DROP TABLE IF EXISTS {table.name}"))
    table.create(conn)
    if rows:
        conn.execute(table.insert(), rows)
    return select(*table.columns)


class InMemoryContactPoints:
    def __init__(self) -> None:
        self.points: dict[str, ContactPoint] = {}

    def add(self, person_id: str, phone_e164: str, timezone: str = "Asia/Shanghai") -> ContactPoint:
        point = ContactPoint(phone_e164, mask_phone(phone_e164), timezone)
        self.points[person_id] = point
        return point

    def contact_point(self, person_id: str, purpose: str = "collections_contact") -> ContactPoint | None:
        return self.points.get(person_id)

    def contact_points(
        self, person_ids: Collection[str], purpose: str = "collections_contact"
    ) -> dict[str, ContactPoint]:
        return {p: self.points[p] for p in person_ids if p in self.points}


class InMemoryOtp:
    """Codes kept in memory; `sent` lets tests read the code the person received."""

    def __init__(self) -> None:
        self.sent: dict[tuple[str, str], str] = {}

    def issue_code(self, phone: str, purpose: str, client: str) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.sent[(phone, purpose)] = code
        return code

    def verify_code(self, phone: str, code: str, purpose: str) -> bool:
        expected = self.sent.get((phone, purpose))
        if expected is None or not secrets.compare_digest(expected, code):
            return False
        del self.sent[(phone, purpose)]
        return True


class InMemorySealer:
    """Keeps values in memory and hands out opaque tokens: the database never sees the value.

    `sealed` lets tests check that every stored token came from this sealer.
    """

    def __init__(self) -> None:
        self.sealed: dict[str, tuple[str, str]] = {}

    def seal(self, value: str, purpose: str) -> str:
        token = f"sealed:{secrets.token_hex(8)}"
        self.sealed[token] = (purpose, value)
        return token

    def open(self, sealed: str, purpose: str) -> str:
        held = self.sealed.get(sealed)
        if held is None or held[0] != purpose:
            raise SealBroken(f"nothing was sealed as {sealed[:12]!r} for {purpose}")
        return held[1]

    def reseal(self, sealed: str, purpose: str) -> str | None:
        self.open(sealed, purpose)
        return None  # one key, never rotated


class InMemoryDisputes:
    def __init__(self) -> None:
        self.open: set[tuple[str, str]] = set()

    def has_open_dispute(self, borrower_id: str, loan_id: str) -> bool:
        return (borrower_id, loan_id) in self.open


@dataclass
class RecordingChannel:
    """Records what would be sent. Calls 'connect' and 'talk' when told to, for tests.

    Idempotent on the log id, as the port asks: a message handed over twice is delivered once.
    `failing` makes it raise, as a provider that is down would.
    """

    medium: Medium
    connected: bool = False
    conversation: bool = False
    failing: bool = False
    sent: list[OutboundMessage] = field(default_factory=list)
    handed: int = 0
    # The log ids delivered, so a repeat is found at once (a year's simulation sends tens of thousands).
    _delivered: set[str] = field(default_factory=set, repr=False)

    def send(self, message: OutboundMessage) -> DeliveryResult:
        self.handed += 1
        if self.failing:
            raise ConnectionError(f"the {self.medium.value} provider is down")
        if message.log_id not in self._delivered:
            self._delivered.add(message.log_id)
            self.sent.append(message)
        return DeliveryResult(connected=self.connected, conversation=self.conversation, reference=message.log_id)


def recording_channels() -> dict[Medium, RecordingChannel]:
    return {medium: RecordingChannel(medium) for medium in Medium}
