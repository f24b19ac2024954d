"""What origination needs from identity, the bureau and lending, as ports.

Those contexts are built in parallel; these Protocols are shaped after what
they will provide, and `fakes.py` holds in-memory adapters for tests. At merge
each port gets a thin adapter over the real service (see README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from fairlend.db.uow import UnitOfWork
from fairlend.errors import DomainError
from fairlend.money import Money
from fairlend.origination.model import ListingFacts, Quote


class NotWired(DomainError):
    """A port whose real adapter has not been connected yet."""

    status = 503
    title = "Service unavailable"


# -- identity ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KycLevels:
    phone_verified: bool
    identity_verified: bool
    bank_card_verified: bool


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    kind: str  # salary_flow | social_security | housing_fund | property | vehicle
    amount: Money | None  # monthly income (income kinds) or value (asset kinds)
    approved_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    consent_id: str
    person_id: str
    purpose: str
    institution: str
    granted_at: datetime
    text_version: str = ""  # the exact consent text the person agreed to


@dataclass(frozen=True, slots=True)
class ReportingIdentity:
    name: str
    id_number: str
    id_scheme: str


@dataclass(frozen=True, slots=True)
class InquirySubject:
    """What an inquiry about a person needs, read at once: `identity` only with a live `consent`
    and a verified identity (nothing is read in clear without consent)."""

    kyc: KycLevels
    consent: ConsentRecord | None
    identity: ReportingIdentity | None
    certificates: list[CertificateFacts]


class IdentityService(Protocol):
    def kyc_levels(self, person_id: str) -> KycLevels: ...

    def approved_certificates(self, person_id: str) -> list[CertificateFacts]: ...

    def live_consent(self, person_id: str, purpose: str, institution: str) -> ConsentRecord | None: ...

    def reporting_identity(self, person_id: str) -> ReportingIdentity: ...

    def inquiry_subject(self, person_id: str, consent_purpose: str, institution: str) -> InquirySubject:
        """`kyc_levels`, `live_consent`, `approved_certificates` and, when the consent is live and the
        identity verified, `reporting_identity`, in one call."""
        ...

    def seal(self, value: str, purpose: str) -> str:
        """Encrypt what origination stores about a person (the day's self-check) with identity's keys."""
        ...

    def unseal(self, sealed: str, purpose: str) -> str:
        """The clear value; ValueError when it cannot be opened (another purpose, a retired key)."""
        ...


# -- bureau (through fairlend.bureau.client) ------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentAttestation:
    """Carried by every inquiry fairlend makes about a person, soft or hard: which consent,
    for what, to which exact text, when (CN-14). `purpose` is identity's consent purpose."""

    consent_id: str
    purpose: str
    institution: str
    granted_at: datetime
    text_version: str = ""


@dataclass(frozen=True, slots=True)
class ReportAccount:
    lender: str
    revolving: bool
    opened_on: date
    balance: Money
    credit_limit: Money | None
    # The monthly status grid the bureau keeps (CN-17/CN-18, CR-4), newest first, and the month of grid[0].
    grid: tuple[str, ...] = ()
    grid_start: str = ""


@dataclass(frozen=True, slots=True)
class ReportNegative:
    lender: str
    worst_band: int  # 1..7 (CN-17 overdue bands)
    began_on: date
    ended_on: date | None
    overdue_amount: Money


@dataclass(frozen=True, slots=True)
class ReportInquiry:
    on: date
    hard: bool
    institution: str
    purpose: str


@dataclass(frozen=True, slots=True)
class CreditReport:
    report_id: str
    as_of: date
    accounts: tuple[ReportAccount, ...]
    negatives: tuple[ReportNegative, ...]
    inquiries: tuple[ReportInquiry, ...]


class BureauClient(Protocol):
    def soft_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        """A self-check or pre-qualification on the person's behalf: free, never counted against them,
        and carrying their self-check consent (CN-14)."""
        ...

    def hard_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        """A lender's inquiry for an application; recorded on the file, counted by scores."""
        ...


# -- lending ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    amount: Money
    term_months: int
    nominal_rate: Decimal
    fee: Money
    start_date: date


@dataclass(frozen=True, slots=True)
class BookingRequest:
    borrower_id: str
    contract_id: str
    quote: Quote
    funding: str  # "platform" now; "marketplace" once investors fund through the same hand-over
    grade: str  # the offer's: lending stores it on the loan (finance provisions by it)


@dataclass(frozen=True, slots=True)
class BookedLoan:
    loan_id: str


class LendingService(Protocol):
    def quote(self, request: QuoteRequest, apr_cap: Decimal) -> Quote:
        """The schedule and APR; raises Invalid('apr_above_cap') rather than quote above the cap."""
        ...

    def book_loan(self, uow: UnitOfWork, request: BookingRequest) -> BookedLoan:
        """Book and disburse in the caller's transaction, so acceptance and booking commit together."""
        ...


# -- funding (the marketplace) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FundingRequest:
    borrower_id: str
    offer_id: str
    contract_id: str
    quote: Quote
    grade: str
    facts: ListingFacts | None  # what a listing may show; None for applications scored before listings
    partial_ok: bool  # the borrower takes a loan for what investors funded, if at least the threshold


@dataclass(frozen=True, slots=True)
class FundingOutcome:
    loan_id: str | None = None  # booked now (the platform and its partners hold the notes)
    listing_id: str | None = None  # listed for investors: the offer waits on the listing


class FundingPort(Protocol):
    def fund(self, uow: UnitOfWork, request: FundingRequest) -> FundingOutcome:
        """Book the loan or list it, in the caller's transaction (acceptance and funding commit together)."""
        ...


class PlatformFunding:
    """Origination without a marketplace (its tests' fakes): the platform books the loan alone.

    A deployment wires the market's funding instead (bootstrap), where the
    platform-funded loan is the case "the platform is the only note holder".
    """

    def __init__(self, lending: LendingService) -> None:
        self._lending = lending

    def fund(self, uow: UnitOfWork, request: FundingRequest) -> FundingOutcome:
        booked = self._lending.book_loan(
            uow, BookingRequest(request.borrower_id, request.contract_id, request.quote, "platform", request.grade)
        )
        return FundingOutcome(loan_id=booked.loan_id)


class UnwiredIdentity:
    def _fail(self) -> NotWired:
        return NotWired("identity_not_wired", "the identity service is not connected to origination yet")

    def kyc_levels(self, person_id: str) -> KycLevels:
        raise self._fail()

    def approved_certificates(self, person_id: str) -> list[CertificateFacts]:
        raise self._fail()

    def live_consent(self, person_id: str, purpose: str, institution: str) -> ConsentRecord | None:
        raise self._fail()

    def reporting_identity(self, person_id: str) -> ReportingIdentity:
        raise self._fail()

    def inquiry_subject(self, person_id: str, consent_purpose: str, institution: str) -> InquirySubject:
        raise self._fail()


class UnwiredBureau:
    def _fail(self) -> NotWired:
        return NotWired("bureau_not_wired", "the bureau client is not connected to origination yet")

    def soft_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        raise self._fail()

    def hard_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        raise self._fail()


class UnwiredLending:
    def _fail(self) -> NotWired:
        return NotWired("lending_not_wired", "the lending service is not connected to origination yet")

    def quote(self, request: QuoteRequest, apr_cap: Decimal) -> Quote:
        raise self._fail()

    def book_loan(self, uow: UnitOfWork, request: BookingRequest) -> BookedLoan:
        raise self._fail()
