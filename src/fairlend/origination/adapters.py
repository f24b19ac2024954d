"""Real adapters for origination's ports, over the services that have landed.

Identity (`IdentityAdapter`) and the credit bureau (`BureauAdapter`, through
`fairlend.bureau.client` only) are wired here; lending in `lending_adapter.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fairlend.bureau.client import BureauClient as BureauInstitutionClient
from fairlend.bureau.client import ConsentAttestation as BureauConsent
from fairlend.bureau.client import CreditReport as BureauReport
from fairlend.bureau.client import InquiryKind, InquiryPurpose
from fairlend.errors import Forbidden
from fairlend.identity.model import CertificateFacts as IdentityCertificate
from fairlend.identity.model import ConsentPurpose, KycLevel, KycRecord
from fairlend.identity.model import ConsentRecord as IdentityConsent
from fairlend.identity.pii import VaultError
from fairlend.identity.service import IdentityService as IdentityContext
from fairlend.money import Money
from fairlend.origination.ports import (
    CertificateFacts,
    ConsentAttestation,
    ConsentRecord,
    CreditReport,
    InquirySubject,
    KycLevels,
    ReportAccount,
    ReportingIdentity,
    ReportInquiry,
    ReportNegative,
)

# Account types a bureau reports that carry a credit line rather than a fixed loan.
REVOLVING_TYPES = frozenset({"credit_card"})
# What each of identity's consent purposes lets fairlend ask the bureau for: the bureau checks the
# attested purpose against the inquiry's, so a loan-application consent never covers a self-check.
BUREAU_PURPOSE = {
    ConsentPurpose.CREDIT_INQUIRY.value: InquiryPurpose.LOAN_APPROVAL,
    ConsentPurpose.CREDIT_SELF_CHECK.value: InquiryPurpose.SELF,
}
_BAND = re.compile(r"[1-7]")


class IdentityAdapter:
    """Origination's `IdentityService` port over the identity context's service."""

    def __init__(self, identity: IdentityContext) -> None:
        self._identity = identity

    def kyc_levels(self, person_id: str) -> KycLevels:
        return _kyc(self._identity.kyc_levels(person_id))

    def approved_certificates(self, person_id: str) -> list[CertificateFacts]:
        return _certificates(self._identity.approved_certificates(person_id))

    def live_consent(self, person_id: str, purpose: str, institution: str) -> ConsentRecord | None:
        return _consent(self._identity.live_consent(person_id, ConsentPurpose(purpose), institution))

    def reporting_identity(self, person_id: str) -> ReportingIdentity:
        found = self._identity.reporting_identity(person_id, purpose="credit_inquiry")
        return ReportingIdentity(found.name, found.id_number, found.id_scheme)

    def inquiry_subject(self, person_id: str, consent_purpose: str, institution: str) -> InquirySubject:
        found = self._identity.inquiry_subject(
            person_id, ConsentPurpose(consent_purpose), institution, purpose="credit_inquiry"
        )
        consent = _consent(found.consent)
        clear = found.identity
        return InquirySubject(
            _kyc(found.levels),
            consent,
            None
            if consent is None or clear is None
            else ReportingIdentity(clear.name, clear.id_number, clear.id_scheme),
            _certificates(found.certificates),
        )

    def seal(self, value: str, purpose: str) -> str:
        return self._identity.vault.encrypt(value, purpose)

    def unseal(self, sealed: str, purpose: str) -> str:
        try:
            return self._identity.vault.decrypt(sealed, purpose)
        except VaultError as exc:  # the port's callers know ValueError: "cannot be opened"
            raise ValueError(str(exc)) from exc


def _kyc(records: list[KycRecord]) -> KycLevels:
    reached = {record.level for record in records}
    return KycLevels(
        phone_verified=KycLevel.PHONE_VERIFIED in reached,
        identity_verified=KycLevel.IDENTITY_VERIFIED in reached,
        bank_card_verified=KycLevel.BANK_CARD_VERIFIED in reached,
    )


def _certificates(found: list[IdentityCertificate]) -> list[CertificateFacts]:
    return [CertificateFacts(c.kind.value, c.amount, c.approved_at) for c in found]


def _consent(record: IdentityConsent | None) -> ConsentRecord | None:
    if record is None or not record.is_live:
        return None
    return ConsentRecord(
        record.consent_id,
        record.person_id,
        record.purpose.value,
        record.institution,
        record.given_at,
        record.text_version,
    )


def attest(consent: ConsentAttestation, subject: ReportingIdentity, institution_id: str) -> BureauConsent:
    """The person's consent as the bureau reads it: theirs (their ID number), to this institution, for this purpose."""
    purpose = BUREAU_PURPOSE.get(consent.purpose)
    if purpose is None:
        raise Forbidden("consent_purpose_mismatch", f"a {consent.purpose} consent covers no credit inquiry")
    return BureauConsent(
        consent_id=consent.consent_id,
        purpose=purpose,
        institution_id=institution_id,
        text_version=consent.text_version,
        granted_at=consent.granted_at,
        person_id_number=subject.id_number,
    )


class BureauAdapter:
    """Origination's `BureauClient` port over the credit bureau's client (another institution).

    Self-checks and pre-qualification are the person's own soft queries (CN-13);
    an application is a hard loan-approval inquiry. Both carry the person's
    consent for that purpose (CN-14).
    """

    def __init__(self, client: Callable[[], BureauInstitutionClient]) -> None:
        self._client = client

    def soft_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        client = self._client()
        attestation = attest(consent, subject, client.institution_id)
        return to_origination_report(client.self_report(subject.id_number, consent=attestation, name=subject.name))

    def hard_inquiry(
        self, subject: ReportingIdentity, *, institution: str, purpose: str, consent: ConsentAttestation
    ) -> CreditReport:
        client = self._client()
        attestation = attest(consent, subject, client.institution_id)
        report = client.inquire(subject.id_number, InquiryPurpose.LOAN_APPROVAL, name=subject.name, consent=attestation)
        return to_origination_report(report)


def _worst_band(grid: tuple[str, ...], grid_start: str, first_month: str, last_month: str) -> int:
    """The worst overdue band (1..7) in the record's months of a newest-first grid."""
    year, month = (int(part) for part in grid_start.split("-"))
    worst = 0
    for code in grid:
        label = f"{year:04d}-{month:02d}"
        if first_month <= label <= last_month and _BAND.fullmatch(code):
            worst = max(worst, int(code))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return worst or 1


def to_origination_report(report: BureauReport) -> CreditReport:
    accounts = []
    negatives = []
    for account in report.accounts:
        revolving = account.account_type in REVOLVING_TYPES
        accounts.append(
            ReportAccount(
                lender=account.institution_name,
                revolving=revolving,
                opened_on=account.open_date,
                balance=account.balance,
                credit_limit=account.amount if revolving else None,
                grid=account.grid,
                grid_start=account.grid_start,
            )
        )
        for record in account.negative_records:
            negatives.append(
                ReportNegative(
                    lender=account.institution_name,
                    worst_band=_worst_band(account.grid, account.grid_start, record.first_month, record.last_month),
                    began_on=record.started_on,
                    ended_on=record.ended_on,
                    overdue_amount=account.amount_overdue
                    if record.ended_on is None
                    else Money.zero(account.amount_overdue.currency),
                )
            )
    inquiries = tuple(
        ReportInquiry(
            on=inquiry.inquired_on,
            hard=inquiry.kind is InquiryKind.HARD,
            institution=inquiry.institution_name,
            purpose=inquiry.purpose.value,
        )
        for inquiry in report.inquiries
    )
    return CreditReport(report.report_id, report.generated_on, tuple(accounts), tuple(negatives), inquiries)
