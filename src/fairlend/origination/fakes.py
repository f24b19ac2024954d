"""In-memory adapters for origination's ports: for tests and demos until the real ones are wired."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from fairlend.db.uow import UnitOfWork
from fairlend.errors import Forbidden, Invalid, NotFound
from fairlend.ids import new_id
from fairlend.money import Money, Rounding
from fairlend.origination.model import Installment, Quote
from fairlend.origination.ports import (
    BookedLoan,
    BookingRequest,
    CertificateFacts,
    ConsentAttestation,
    ConsentRecord,
    CreditReport,
    InquirySubject,
    KycLevels,
    QuoteRequest,
    ReportAccount,
    ReportingIdentity,
    ReportInquiry,
    ReportNegative,
)
from fairlend.scoring.model import add_months


@dataclass
class FakeIdentity:
    kyc: dict[str, KycLevels] = field(default_factory=dict)
    certificates: dict[str, list[CertificateFacts]] = field(default_factory=dict)
    consents: dict[tuple[str, str, str], ConsentRecord] = field(default_factory=dict)
    identities: dict[str, ReportingIdentity] = field(default_factory=dict)

    def register(self, person_id: str, id_number: str, kyc: KycLevels) -> None:
        self.kyc[person_id] = kyc
        self.identities[person_id] = ReportingIdentity(f"Person {person_id[-4:]}", id_number, "cn.ric")

    def grant(
        self, person_id: str, purpose: str, institution: str, at: datetime, text_version: str = "test/v1"
    ) -> ConsentRecord:
        record = ConsentRecord(new_id("consent"), person_id, purpose, institution, at, text_version)
        self.consents[(person_id, purpose, institution)] = record
        return record

    def revoke(self, person_id: str, purpose: str, institution: str) -> None:
        """A revoked consent is no longer live; identity keeps the record, the fake forgets it."""
        self.consents.pop((person_id, purpose, institution), None)

    def kyc_levels(self, person_id: str) -> KycLevels:
        return self.kyc.get(person_id, KycLevels(False, False, False))

    def approved_certificates(self, person_id: str) -> list[CertificateFacts]:
        return list(self.certificates.get(person_id, []))

    def live_consent(self, person_id: str, purpose: str, institution: str) -> ConsentRecord | None:
        return self.consents.get((person_id, purpose, institution))

    def reporting_identity(self, person_id: str) -> ReportingIdentity:
        try:
            return self.identities[person_id]
        except KeyError:
            raise NotFound("person_not_found", f"no identity for {person_id}") from None

    def inquiry_subject(self, person_id: str, consent_purpose: str, institution: str) -> InquirySubject:
        consent = self.live_consent(person_id, consent_purpose, institution)
        # Read in clear (an unknown person is not found) only with consent, as identity does it.
        identity = self.reporting_identity(person_id) if consent is not None else None
        return InquirySubject(self.kyc_levels(person_id), consent, identity, self.approved_certificates(person_id))

    def seal(self, value: str, purpose: str) -> str:
        # Reversible but never the clear text: a test can see it was sealed, and for what.
        return f"sealed:{purpose}:" + value[::-1]

    def unseal(self, sealed: str, purpose: str) -> str:
        prefix = f"sealed:{purpose}:"
        if not sealed.startswith(prefix):
            raise ValueError("sealed for another purpose")
        return sealed[len(prefix) :][::-1]


# The identity consent purpose each kind of inquiry needs (the real adapter maps them to the bureau's purposes).
SOFT_CONSENT_PURPOSE = "credit_self_check"
HARD_CONSENT_PURPOSE = "credit_inquiry"


def _check_consent(consent: ConsentAttestation, purpose: str, institution: str) -> None:
    """What the real bureau refuses (CN-14), so service tests catch a missing or wrong consent too."""
    if not consent.consent_id or not consent.text_version:
        raise Forbidden("inquiry_consent_invalid", "the consent names no id or text version (CN-14)", rule="CN-14")
    if consent.purpose != purpose or consent.institution != institution:
        raise Forbidden("inquiry_consent_mismatch", f"the consent does not cover a {purpose} (CN-14)", rule="CN-14")


@dataclass
class FakeBureau:
    today: date
    accounts: dict[str, list[ReportAccount]] = field(default_factory=dict)
    negatives: dict[str, list[ReportNegative]] = field(default_factory=dict)
    inquiries: dict[str, list[ReportInquiry]] = field(default_factory=dict)
    attestations: list[ConsentAttestation] = field(default_factory=list)

    def _report(self, subject: ReportingIdentity) -> CreditReport:
        key = subject.id_number
        return CreditReport(
            report_id=new_id("report"),
            as_of=self.today,
            accounts=tuple(self.accounts.get(key, [])),
            negatives=tuple(self.negatives.get(key, [])),
            inquiries=tuple(self.inquiries.get(key, [])),
        )

    def soft_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        _check_consent(consent, SOFT_CONSENT_PURPOSE, institution)
        self.attestations.append(consent)
        report = self._report(subject)
        self.inquiries.setdefault(subject.id_number, []).append(ReportInquiry(self.today, False, institution, purpose))
        return report

    def hard_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        _check_consent(consent, HARD_CONSENT_PURPOSE, institution)
        self.attestations.append(consent)
        self.inquiries.setdefault(subject.id_number, []).append(ReportInquiry(self.today, True, institution, purpose))
        return self._report(subject)

    def hard_inquiry_count(self, id_number: str) -> int:
        return sum(1 for i in self.inquiries.get(id_number, []) if i.hard)


def annuity_quote(request: QuoteRequest) -> Quote:
    """Equal installments (等额本息); interest rounded half up; the last installment takes the residue."""
    currency = request.amount.currency
    n = request.term_months
    r = request.nominal_rate / 12
    principal = request.amount
    payment = principal.to_decimal() / n if r == 0 else principal.to_decimal() * r / (1 - (1 + r) ** -n)
    payment_money = Money.of(payment, currency, Rounding.HALF_UP)
    balance = principal
    lines: list[Installment] = []
    for k in range(1, n + 1):
        interest = balance.times(r, Rounding.HALF_UP)
        part = balance if k == n else payment_money - interest
        balance = balance - part
        lines.append(Installment(k, add_months(request.start_date, k), part, interest, Money.zero(currency)))
    flows = [p.total.to_decimal() for p in lines]
    received = (principal - request.fee).to_decimal()
    return Quote(
        amount=principal,
        term_months=n,
        nominal_rate=request.nominal_rate,
        apr=_apr(received, flows),
        fee=request.fee,
        installments=tuple(lines),
    )


def _apr(received: Decimal, flows: list[Decimal]) -> Decimal:
    """Periodic IRR x 12 (GLOSSARY: APR), by bisection in Decimal."""
    lo, hi = Decimal(0), Decimal(1)
    for _ in range(80):
        mid = (lo + hi) / 2
        value = sum((f / (1 + mid) ** (i + 1) for i, f in enumerate(flows)), Decimal(0))
        if value > received:
            lo = mid
        else:
            hi = mid
    return (lo * 12).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


@dataclass
class FakeLending:
    bookings: list[BookingRequest] = field(default_factory=list)

    def quote(self, request: QuoteRequest, apr_cap: Decimal) -> Quote:
        quote = annuity_quote(request)
        if quote.apr > apr_cap:
            raise Invalid("apr_above_cap", f"APR {quote.apr} is above the cap {apr_cap}")
        return quote

    def book_loan(self, uow: UnitOfWork, request: BookingRequest) -> BookedLoan:
        self.bookings.append(request)
        return BookedLoan(new_id("loan"))
