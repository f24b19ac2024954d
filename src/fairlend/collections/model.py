"""Collections vocabulary: attempts, what the policy knows, violations, records.

Pure data. Rule ids are RULES.md's; their plain-words explanations (English and
Chinese) live here so the borrower's page, the API and the evidence package say
the same thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time

from fairlend.money import Money


class Medium(enum.StrEnum):
    SMS = "sms"
    CALL = "call"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"


# Media that reach a phone number: cease-per-number and per-number caps apply.
PHONE_MEDIA = frozenset({Medium.SMS, Medium.CALL})


class RecipientKind(enum.StrEnum):
    DEBTOR = "debtor"
    CONTACT_PERSON = "contact_person"  # named in advance by the debtor, confirmed by themselves
    THIRD_PARTY = "third_party"  # anyone else


class LoanState(enum.StrEnum):
    ACTIVE = "active"
    SETTLED = "settled"
    CHARGED_OFF = "charged_off"
    WRITTEN_OFF = "written_off"


class Outcome(enum.StrEnum):
    """What a log row says. An attempt row is BLOCKED or DISPATCHING; an outcome row resolves a dispatch."""

    BLOCKED = "blocked"  # refused by the policy; nothing reached anyone
    DISPATCHING = "dispatching"  # allowed and recorded; the channel is called after this commits
    SENT = "sent"  # outcome: the channel took it
    FAILED = "failed"  # outcome: the channel refused or broke; nothing was delivered
    CANCELLED = "cancelled"  # outcome: a stranded dispatch re-checked before sending was no longer allowed
    EXPIRED = "expired"  # outcome: a stranded dispatch too old to send; never sent

    @property
    def resolves(self) -> bool:
        return self in RESOLUTIONS


RESOLUTIONS = frozenset({Outcome.SENT, Outcome.FAILED, Outcome.CANCELLED, Outcome.EXPIRED})
# Outcomes after which nothing can have reached the person.
NOT_DELIVERED = frozenset({Outcome.FAILED, Outcome.CANCELLED, Outcome.EXPIRED})
FREE_TEXT = "free_text"  # the template id a collector's own words are logged under


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    BLOCKED = "blocked"  # the gateway refused it; the log says why
    CANCELLED = "cancelled"


class ComplaintCategory(enum.StrEnum):
    HARASSMENT = "harassment"
    THIRD_PARTY_CONTACT = "third_party_contact"
    CONTACT_AFTER_REPAYMENT = "contact_after_repayment"
    WRONG_AMOUNT = "wrong_amount"
    OTHER = "other"


class ComplaintStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"

    @property
    def pauses_contact(self) -> bool:
        return self is not ComplaintStatus.ANSWERED


class CallOutcome(enum.StrEnum):
    """What a collector heard on a call (the channel's own report stays in the log)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"  # answered and would not discuss or pay
    DISPUTED = "disputed"  # answered and says the debt is wrong: compliance should hear of it


# Outcomes where the collector spoke with the person called: the policy counts the call as connected
# (CN-5's connected-call cap) and as a conversation (US-2's quiet days), whatever the channel reported.
# A refusal or a dispute is still a conversation about the debt. Voicemail and a wrong number are not:
# nobody on the debt's side of the line was reached.
REACHED = frozenset({CallOutcome.ANSWERED, CallOutcome.REFUSED, CallOutcome.DISPUTED})


class PromiseStatus(enum.StrEnum):
    PENDING = "pending"
    KEPT = "kept"  # repayments reached the amount by the date
    BROKEN = "broken"  # they did not: the account goes back to the queue


class HardshipState(enum.StrEnum):
    """Where the borrower's own hardship request about a loan stands, as collections knows it (P-10)."""

    NONE = "none"
    REQUEST = "request"  # asked for a plan, not yet answered or accepted: collection contacts pause
    PLAN = "plan"  # a plan in force and kept: only its reminders go out; broken or ended, back to NONE


class ContactPersonStatus(enum.StrEnum):
    PENDING = "pending"  # named by the borrower, not yet confirmed: does not exist for collections
    CONFIRMED = "confirmed"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """What lending says about a loan, read at the moment of sending."""

    loan_id: str
    borrower_id: str
    state: LoanState
    currency: str
    overdue_amount: Money
    days_past_due: int
    bucket: str
    settled_on: date | None = None
    # The next installment (a plan reminder names it): None when nothing more falls due.
    next_due_date: date | None = None
    next_due_amount: Money | None = None


@dataclass(frozen=True, slots=True)
class DelinquentLoan:
    loan_id: str
    borrower_id: str
    days_past_due: int
    overdue_amount: Money
    bucket: str


@dataclass(frozen=True, slots=True)
class ContactPoint:
    phone_e164: str
    masked_phone: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try to reach one person about one loan."""

    loan_id: str
    borrower_id: str
    recipient_kind: RecipientKind
    recipient_id: str  # the borrower's id, a contact person's id, or "tp:<number key>"
    medium: Medium
    number_key: str  # keyed hash of the phone number or address; "" when none
    template: str  # a profile template id, or FREE_TEXT
    text: str
    at: datetime  # UTC
    recipient_tz: str
    collector_id: str = ""

    @property
    def free_text(self) -> bool:
        return self.template == FREE_TEXT

    @property
    def about_loan(self) -> bool:
        """False for a message about no loan (a contact person's consent request)."""
        return bool(self.loan_id)


@dataclass(frozen=True, slots=True)
class PriorAttempt:
    """An earlier attempt as the policy needs it (from the contact log).

    `sent` is true for an attempt that may have reached the person: sent, or
    still dispatching (then `connected` and `conversation` are true as well,
    the worst case, until its outcome is recorded).
    """

    loan_id: str
    recipient_kind: RecipientKind
    recipient_id: str
    medium: Medium
    number_key: str
    at: datetime
    sent: bool
    connected: bool
    conversation: bool


@dataclass(frozen=True, slots=True)
class CeaseRequest:
    scope: str  # CeaseScope value: all | medium | number
    loan_id: str | None = None  # None: every loan of the borrower
    medium: Medium | None = None
    number_key: str | None = None


@dataclass(frozen=True, slots=True)
class WindowConsent:
    """The debtor agreed to be contacted in a wider window (where the profile allows it)."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ContactPersonFacts:
    contact_id: str
    status: ContactPersonStatus


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything true at the moment of sending that the policy reads."""

    loan_state: LoanState
    history: tuple[PriorAttempt, ...] = ()
    cease_requests: tuple[CeaseRequest, ...] = ()
    open_dispute: bool = False
    open_complaint: bool = False
    hardship: HardshipState = HardshipState.NONE  # the borrower's hardship request or plan (P-10)
    window_consent: WindowConsent | None = None
    contact_person: ContactPersonFacts | None = None
    holidays: frozenset[date] = frozenset()
    # Earlier contacts about a loan that reached this person (by number, P-8) as other than the
    # debtor, ever: third-party caps are for all time. None: count them in `history`.
    prior_sent_to_person: int | None = None
    days_past_due: int = 0  # at the moment of sending (P-7)
    # The debtor's own numbers (keyed): an entry with one of them is the debtor (P-8).
    debtor_keys: frozenset[str] = frozenset()
    # Every call to the debtor ever (for how long they have been unreachable, CN-1); None: use `history`.
    debtor_calls: tuple[PriorAttempt, ...] | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str  # a RULES.md id
    check: str  # which check found it (stable, for compliance statistics)
    detail: str


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    connected: bool = False
    conversation: bool = False
    reference: str = ""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One contact-log row: what the chain hashes."""

    borrower_id: str
    seq: int
    id: str
    loan_id: str
    at: datetime
    medium: Medium
    recipient_kind: RecipientKind
    recipient_id: str
    recipient_masked: str
    recipient_tz: str
    number_key: str
    template: str
    text: str
    outcome: Outcome
    rules: tuple[str, ...]
    connected: bool
    conversation: bool
    collector_id: str
    task_id: str
    prev_hash: str
    hash: str = field(default="")
    # On an outcome row: the id of the attempt (the DISPATCHING row) it resolves.
    resolves: str = ""


def mask_name(name: str) -> str:
    """张三 -> 张*, Sam Lee -> S******: enough to tell one's own contact persons apart, not to identify them."""
    name = name.strip()
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678: enough for the person to recognise, not to dial."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return phone[:-8] + "****" + phone[-4:]
