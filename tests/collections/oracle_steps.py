"""The steps of a fuzz world and the oracle's account of a borrower (see oracle.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from fairlend.collections.model import Medium
from fairlend.jurisdiction.model import Profile, TemplatePurpose
from tests.collections.oracle_corpus import FreeText

DEBTOR = "debtor"
PERSON = "contact_person"
THIRD_PARTY = "third_party"
PHONE = frozenset({Medium.SMS, Medium.CALL})
CONSENT_TEMPLATE = "contact_consent"
COLLECTION_PURPOSES = frozenset({TemplatePurpose.COLLECTION, TemplatePurpose.THIRD_PARTY})


# -- what happens in a world: the steps both drivers play ------------------------------------------


@dataclass(frozen=True, slots=True)
class Try:
    """One attempt: who, how, what, when, and what the channel will do if it is allowed."""

    at: datetime
    loan: str  # "" for a consent request (about no loan)
    medium: Medium
    who: str  # DEBTOR | PERSON | THIRD_PARTY
    person: str = ""  # the contact person entry
    number: str = ""  # a third party's number (E.164)
    typed: str = ""  # the number as the collector typed it
    tp_tz: str | None = None
    template: str = ""
    text: FreeText | None = None
    collector: str = "op_1"
    fail: bool = False
    connected: bool = False
    conversation: bool = False


@dataclass(frozen=True, slots=True)
class Settle:
    at: datetime
    loan: str
    how: str  # "both" (lending settles and publishes), "event" (collections' record only), "lending" (facts only)


@dataclass(frozen=True, slots=True)
class Dispute:
    at: datetime
    loan: str
    open: bool


@dataclass(frozen=True, slots=True)
class Complaint:
    at: datetime
    loan: str
    action: str  # file | acknowledge | answer
    index: int = 0  # which of the loan's complaints (in filing order)


@dataclass(frozen=True, slots=True)
class Hardship:
    """The borrower's hardship request or plan on a loan moves (P-10): hardship publishes it, collections follows."""

    at: datetime
    loan: str
    event: str  # filed | declined | started | broken | ended

    @property
    def state(self) -> str:
        """The loan's state after it: request, plan or none."""
        return {"filed": "request", "started": "plan"}.get(self.event, "none")


@dataclass(frozen=True, slots=True)
class Cease:
    at: datetime
    scope: str  # all | medium | number
    loan: str | None = None
    medium: Medium | None = None
    number: str | None = None  # E.164
    typed: str = ""


@dataclass(frozen=True, slots=True)
class Consent:
    at: datetime
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class Name:
    """The borrower names a contact person: the consent request goes through the gateway at once."""

    at: datetime
    person: str
    number: str
    typed: str
    tz: str
    fail: bool = False


@dataclass(frozen=True, slots=True)
class Resend:
    at: datetime
    person: str
    fail: bool = False


@dataclass(frozen=True, slots=True)
class Confirm:
    at: datetime
    person: str


@dataclass(frozen=True, slots=True)
class Revoke:
    at: datetime
    person: str


@dataclass(frozen=True, slots=True)
class NewNumber:
    """The debtor registers another phone number with identity."""

    at: datetime
    number: str


Step = Try | Settle | Dispute | Complaint | Hardship | Cease | Consent | Name | Resend | Confirm | Revoke | NewNumber


# -- the oracle's own account of a borrower ----------------------------------------------------------


@dataclass
class Loan:
    id: str
    due: date  # the first unpaid due date, in the profile's calendar
    charged_off: bool = False
    lending_settled: bool = False
    event_settled: bool = False
    dispute: bool = False
    complaints: int = 0  # open or acknowledged, not answered
    hardship: str = "none"  # the borrower's hardship request or kept plan: none | request | plan (P-10)

    @property
    def settled(self) -> bool:
        return self.lending_settled or self.event_settled


@dataclass
class Person:
    id: str
    number: str
    tz: str
    status: str  # pending | confirmed | revoked


@dataclass(frozen=True, slots=True)
class Record:
    """An earlier attempt, as the oracle remembers it."""

    loan: str
    who: str
    entry: str  # borrower id, person id or "tp:<number>"
    number: str  # the number it went to (the debtor's at the time, the entry's)
    medium: Medium
    at: datetime
    sent: bool  # may have reached the person: allowed and not failed
    connected: bool
    conversation: bool


@dataclass
class Borrower:
    id: str
    tz: str
    number: str  # the registered phone (E.164)
    loans: dict[str, Loan]
    persons: dict[str, Person] = field(default_factory=dict)
    ceases: list[Cease] = field(default_factory=list)
    consent: tuple[time, time] | None = None
    history: list[Record] = field(default_factory=list)
    calls: list[Record] = field(default_factory=list)  # sent calls, in time order
    reached_as_other: Counter[str] = field(default_factory=Counter)  # number -> contacts about a loan
    silent_since: datetime | None = None  # first unanswered debtor call after the last answered one


@dataclass(frozen=True, slots=True)
class Target:
    """Who an attempt reaches, as RULES.md sees it."""

    number: str  # the number reached ("" when none is known)
    tz: str
    is_debtor: bool  # the person is the debtor (P-8: whatever the entry)
    entry: str


def days_past_due(profile: Profile, loan: Loan, at: datetime) -> int:
    """What lending reports: 0 once lending has settled the loan."""
    if loan.lending_settled:
        return 0
    today = at.astimezone(ZoneInfo(profile.timezone)).date()
    return max(0, (today - loan.due).days)
