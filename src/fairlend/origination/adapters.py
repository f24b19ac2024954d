"""Real adapters for origination's ports, over the services that have landed.

Identity is wired (`IdentityAdapter`); the bureau client and lending are not
yet on main, so their ports keep the `Unwired*` adapters (503) until then.
"""

from __future__ import annotations

from fairlend.identity.model import ConsentPurpose, KycLevel
from fairlend.identity.service import IdentityService as IdentityContext
from fairlend.origination.ports import CertificateFacts, ConsentRecord, KycLevels, ReportingIdentity


class IdentityAdapter:
    """Origination's `IdentityService` port over the identity context's service."""

    def __init__(self, identity: IdentityContext) -> None:
        self._identity = identity

    def kyc_levels(self, person_id: str) -> KycLevels:
        reached = {record.level for record in self._identity.kyc_levels(person_id)}
        return KycLevels(
            phone_verified=KycLevel.PHONE_VERIFIED in reached,
            identity_verified=KycLevel.IDENTITY_VERIFIED in reached,
            bank_card_verified=KycLevel.BANK_CARD_VERIFIED in reached,
        )

    def approved_certificates(self, person_id: str) -> list[CertificateFacts]:
        return [
            CertificateFacts(c.kind.value, c.amount, c.approved_at)
            for c in self._identity.approved_certificates(person_id)
        ]

    def live_consent(self, person_id: str, purpose: str, institution: str) -> ConsentRecord | None:
        record = self._identity.live_consent(person_id, ConsentPurpose(purpose), institution)
        if record is None or not record.is_live:
            return None
        return ConsentRecord(
            record.consent_id, record.person_id, record.purpose.value, record.institution, record.given_at
        )

    def reporting_identity(self, person_id: str) -> ReportingIdentity:
        found = self._identity.reporting_identity(person_id, purpose="credit_inquiry")
        return ReportingIdentity(found.name, found.id_number, found.id_scheme)
