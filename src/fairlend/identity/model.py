"""Who people are, what they proved, what they agreed to: roles, facts and events.

Pure: frozen value objects that other contexts receive from `IdentityService`,
the enums of KYC levels, certificate kinds and consent purposes, and the masking
rules (the events the context publishes are in events.py). Nothing here holds personal data in
clear except `ReportingIdentity` and `ContactPoint`, which exist to carry it to
the one caller that needs it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from fairlend.money import Money


class Role(enum.StrEnum):
    BORROWER = "borrower"
    INVESTOR = "investor"
    UNDERWRITER = "underwriter"
    COLLECTOR = "collector"
    COMPLIANCE = "compliance"
    FINANCE = "finance"  # the books: statements, provisions, the period close (issue #19)
    ADMIN = "admin"

    @property
    def is_operator(self) -> bool:
        return self in OPERATOR_ROLES

    @property
    def id_prefix(self) -> str:
        return {Role.BORROWER: "brw", Role.INVESTOR: "inv"}.get(self, "op")


OPERATOR_ROLES = frozenset({Role.UNDERWRITER, Role.COLLECTOR, Role.COMPLIANCE, Role.FINANCE, Role.ADMIN})
PERSON_ROLES = frozenset({Role.BORROWER, Role.INVESTOR})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a person's or operator's id and role."""

    subject_id: str  # brw_…, inv_… or op_…
    role: Role

    @property
    def is_operator(self) -> bool:
        return self.role.is_operator


class KycLevel(enum.StrEnum):
    PHONE_VERIFIED = "phone_verified"
    IDENTITY_VERIFIED = "identity_verified"
    BANK_CARD_VERIFIED = "bank_card_verified"


class KycMethod(enum.StrEnum):
    ONE_TIME_CODE = "one_time_code"
    ID_NUMBER_CHECK = "id_number_check"  # python-stdnum: check digit, birth date, region
    FOUR_ELEMENTS = "four_elements"  # name, ID number, card, phone checked by the bank


class CertificateKind(enum.StrEnum):
    SALARY_FLOW = "salary_flow"
    SOCIAL_SECURITY = "social_security"
    HOUSING_FUND = "housing_fund"
    PROPERTY = "property"
    VEHICLE = "vehicle"
    DEPOSIT = "deposit"

    @property
    def declares_income(self) -> bool:
        """Income records declare a monthly income; asset records declare a value."""
        return self in {CertificateKind.SALARY_FLOW, CertificateKind.SOCIAL_SECURITY, CertificateKind.HOUSING_FUND}


class CertificateStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ConsentPurpose(enum.StrEnum):
    CREDIT_INQUIRY = "credit_inquiry"  # CN-14: a lender's hard inquiry for an application; names the institution
    # CN-14: the institution fetches the person's own report for them (self-check, rate check); names it too
    CREDIT_SELF_CHECK = "credit_self_check"
    DATA_PROCESSING = "data_processing"
    MARKETING = "marketing"

    @property
    def needs_institution(self) -> bool:
        return self in (ConsentPurpose.CREDIT_INQUIRY, ConsentPurpose.CREDIT_SELF_CHECK)


class OtpPurpose(enum.StrEnum):
    SIGN_UP = "sign_up"
    LOG_IN = "log_in"
    # Another context (collections) confirms a borrower's emergency contact person.
    CONFIRM_CONTACT = "confirm_contact"


@dataclass(frozen=True, slots=True)
class KycRecord:
    level: KycLevel
    method: KycMethod
    verified_at: datetime


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What any context may know about a person: nothing in clear."""

    person_id: str
    role: Role
    masked_name: str  # "" until identity is verified
    masked_phone: str
    kyc_levels: frozenset[KycLevel]
    timezone: str


@dataclass(frozen=True, slots=True)
class ReportingIdentity:
    """Clear identity for the credit bureau (every read is audit-logged)."""

    name: str
    id_number: str
    id_scheme: str  # "cn.ric" or "us.ssn"


@dataclass(frozen=True, slots=True)
class ContactPoint:
    """Where to reach a person, for the collections gateway (audit-logged)."""

    phone_e164: str
    masked_phone: str
    timezone: str


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    consent_id: str
    person_id: str
    purpose: ConsentPurpose
    institution: str  # "" when the purpose names none
    text_version: str
    given_at: datetime
    revoked_at: datetime | None

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """An approved certificate as scoring sees it."""

    certificate_id: str
    kind: CertificateKind
    amount: Money  # monthly income for income records, value for assets
    approved_at: datetime


@dataclass(frozen=True, slots=True)
class InquirySubject:
    """What an inquiry about a person needs, read in one transaction (`IdentityService.inquiry_subject`).

    `identity` (name and ID number in clear, audit-logged) is there only when `consent` is live and
    the person has verified an identity: without consent nothing is read in clear."""

    levels: list[KycRecord]
    consent: ConsentRecord | None
    identity: ReportingIdentity | None
    certificates: list[CertificateFacts]


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate as its owner and the underwriter see it."""

    certificate_id: str
    person_id: str
    kind: CertificateKind
    amount: Money
    content_type: str
    size: int
    status: CertificateStatus
    reason: str
    uploaded_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str


@dataclass(frozen=True, slots=True)
class BankCard:
    card_id: str
    person_id: str
    masked_number: str
    verified_at: datetime


@dataclass(frozen=True, slots=True)
class UnmaskedPerson:
    """An operator's view of a person's personal data in clear (audit-logged)."""

    person_id: str
    name: str
    phone_e164: str
    id_number: str
    bank_cards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Operator:
    operator_id: str
    username: str
    role: Role
    active: bool


class AuditAction(enum.StrEnum):
    """What an audit-log row records, read from its `fields` (sessions.py writes the two session ones)."""

    VIEWED_IN_CLEAR = "viewed_in_clear"
    LOGGED_OUT = "logged_out"
    SESSIONS_REVOKED = "sessions_revoked"


_SESSION_FIELDS = {"session": AuditAction.LOGGED_OUT, "sessions": AuditAction.SESSIONS_REVOKED}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor_id: str
    actor_role: str
    person_id: str
    fields: str
    purpose: str
    at: datetime
    entry_id: int = 0  # the row's place in the log (newer is higher): the cursor of the audit pages

    @property
    def action(self) -> AuditAction:
        return _SESSION_FIELDS.get(self.fields, AuditAction.VIEWED_IN_CLEAR)

    @property
    def field_names(self) -> tuple[str, ...]:
        """The personal data seen in clear (`name`, `id_number`, ...); none for a session row."""
        return () if self.fields in _SESSION_FIELDS else tuple(f for f in self.fields.split(",") if f)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which audit rows to read. Dates are whole days in the platform's time zone, both ends included."""

    person_id: str = ""
    actor_id: str = ""
    since: date | None = None
    until: date | None = None

    def bounds(self, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """The instants `[start, end)` the dates stand for, in UTC."""
        start = datetime.combine(self.since, time(), zone).astimezone(UTC) if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time(), zone).astimezone(UTC) if self.until else None
        return start, end


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of audit rows, newest first, with the cursors of its neighbours (None: no such page)."""

    entries: tuple[AuditEntry, ...]
    older: int | None  # pass as `before` for the next page back in time
    newer: int | None  # pass as `after` for the page in front of this one


# ---- masking -------------------------------------------------------------


def mask_id_number(number: str) -> str:
    """`110101199003070018` -> `1101**********0018`: region prefix and last four."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_card(number: str) -> str:
    """Only the last four digits of a card are ever shown."""
    return "**** " + number[-4:]


def mask_phone(national: str) -> str:
    """`13812345678` -> `138****5678`, `4155552671` -> `415***2671`; shorter numbers keep their last four."""
    if len(national) >= 10:
        return national[:3] + "*" * (len(national) - 7) + national[-4:]
    return "*" * max(len(national) - 4, 0) + national[-4:]


def mask_name(name: str) -> str:
    """`张三丰` -> `张**`; `Ada Lovelace` -> `A***********`."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


# A run of 9 or more digits, alone or split by single spaces or dashes, maybe ending in the ID
# number's X: an ID number, bank card or phone number someone typed into free text. Dates (8
# digits) and ids (digits next to letters or `_`) are left alone; CJK text around it is not a word.
_NUMBER_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_])\+?\d(?:[ -]?\d){8,}[Xx]?(?![A-Za-z0-9_])")


def mask_numbers_in_text(text: str) -> str:
    """`reason: called 13912345678` -> `reason: called *******5678`: free text never carries a number in clear."""

    def masked(found: re.Match[str]) -> str:
        digits = re.sub(r"[^0-9Xx]", "", found.group())
        return "*" * (len(digits) - 4) + digits[-4:]

    return _NUMBER_IN_TEXT.sub(masked, text)


def age_on(birth_date: date, on: date) -> int:
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
