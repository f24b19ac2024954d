"""`IdentityService`: the identity context's one entry point.

Other contexts call the facts methods (`person`, `reporting_identity`,
`contact_point`, `live_consent`, `kyc_levels`, `approved_certificates`, and
`inquiry_subject` for four of them in one transaction) and
the one-time codes (`otp.issue_code` / `otp.send_code` / `otp.verify_code`). The API, the web
pages and the CLI use the sub-services (`accounts`, `kyc`, `certificates`,
`consents`, `tokens`, `sessions`, `audit`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, or_, select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid
from fairlend.identity import audit
from fairlend.identity.accounts import Accounts, load_person
from fairlend.identity.certificates import Certificates, approved
from fairlend.identity.consent import Consents, live
from fairlend.identity.files import PersonalFiles
from fairlend.identity.kyc import Kyc, levels
from fairlend.identity.maintenance import VaultMaintenance
from fairlend.identity.model import (
    CertificateFacts,
    ConsentPurpose,
    ConsentRecord,
    ContactPoint,
    InquirySubject,
    KycLevel,
    KycRecord,
    PersonFacts,
    Principal,
    ReportingIdentity,
    Role,
    UnmaskedPerson,
)
from fairlend.identity.otp import OtpService, SendBudgets
from fairlend.identity.pii import PiiVault
from fairlend.identity.ports import BankVerifier, MessageSender
from fairlend.identity.sessions import Sessions
from fairlend.identity.tables import identity_bank_card, identity_kyc, identity_person
from fairlend.identity.tokens import TokenService
from fairlend.jurisdiction.model import Profile

# Operators who may see a person's personal data in clear, each view audit-logged.
UNMASK_ROLES = frozenset({Role.UNDERWRITER, Role.COMPLIANCE, Role.ADMIN})


class IdentityService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        vault: PiiVault,
        profile: Profile,
        sender: MessageSender,
        bank_verifier: BankVerifier,
        tokens: TokenService,
        *,
        budgets: SendBudgets | None = None,
    ) -> None:
        self._uow = uow
        self.vault = vault
        self.sender = sender
        self.tokens = tokens
        self.sessions = Sessions(uow, tokens)
        self.otp = OtpService(uow, vault, sender, profile.phone_region, budgets)
        self.accounts = Accounts(uow, vault, self.otp, profile.timezone)
        self.kyc = Kyc(uow, vault, bank_verifier, profile.id_number_scheme, profile.phone_region)
        self.certificates = Certificates(uow, vault, profile.currency)
        self.consents = Consents(uow)
        self.audit = audit.AuditLog(uow, profile.timezone)
        self.maintenance = VaultMaintenance(uow, vault)
        # Other contexts' files about people (hardship's evidence): certificate checks, sealing, audit.
        self.files = PersonalFiles(vault)

    # ---- facts for other contexts --------------------------------------------

    def person(self, person_id: str) -> PersonFacts:
        with self._uow(read_only=True) as uow:
            row = load_person(uow, person_id)
            reached = frozenset(r.level for r in levels(uow, person_id))
        return PersonFacts(row.id, Role(row.role), row.name_masked, row.phone_masked, reached, row.timezone)

    def kyc_levels(self, person_id: str) -> list[KycRecord]:
        return self.kyc.levels(person_id)

    def reporting_identity(self, person_id: str, purpose: str = "credit_reporting") -> ReportingIdentity:
        """Name and ID number in clear for the credit bureau; logged as the system's use."""
        with self._uow() as uow:
            row = load_person(uow, person_id)
            if row.id_number_cipher is None or row.name_cipher is None:
                raise Conflict("identity_not_verified", f"{person_id} has not verified an identity")
            identity = self._identity_in_clear(uow, row, purpose)
            uow.commit()
        return identity

    def inquiry_subject(
        self, person_id: str, consent_purpose: ConsentPurpose | str, institution: str, purpose: str = "credit_inquiry"
    ) -> InquirySubject:
        """`kyc_levels`, `live_consent`, `reporting_identity` and `approved_certificates` in one transaction,
        for an institution about to inquire about the person (origination: four transactions before).

        The identity is read in clear, and audit-logged as `reporting_identity` logs it, only when
        the consent is live and an identity is verified; otherwise it is None and nothing is logged.
        """
        with self._uow() as uow:
            row = load_person(uow, person_id)
            reached = levels(uow, person_id)
            consent = live(uow.conn, person_id, consent_purpose, institution)
            identity = None
            if consent is not None and row.id_number_cipher is not None and row.name_cipher is not None:
                identity = self._identity_in_clear(uow, row, purpose)
            found = InquirySubject(reached, consent, identity, approved(uow.conn, person_id))
            uow.commit()
        return found

    def _identity_in_clear(self, uow: UnitOfWork, row: Row[Any], purpose: str) -> ReportingIdentity:
        """A verified person's name and ID number decrypted, the read logged as the system's use."""
        audit.record(
            uow,
            actor_id=audit.SYSTEM,
            actor_role=audit.SYSTEM,
            person_id=row.id,
            fields="name,id_number",
            purpose=purpose,
        )
        return ReportingIdentity(
            self.vault.decrypt(row.name_cipher, "name"),
            self.vault.decrypt(row.id_number_cipher, "id_number"),
            row.id_scheme,
        )

    def contact_point(self, person_id: str, purpose: str = "collections_contact") -> ContactPoint:
        """The person's own mobile number, for the contact gateway; logged as the system's use."""
        with self._uow() as uow:
            row = load_person(uow, person_id)
            audit.record(
                uow,
                actor_id=audit.SYSTEM,
                actor_role=audit.SYSTEM,
                person_id=person_id,
                fields="phone",
                purpose=purpose,
            )
            point = ContactPoint(self.vault.decrypt(row.phone_cipher, "phone"), row.phone_masked, row.timezone)
            uow.commit()
        return point

    def contact_points(
        self, person_ids: Collection[str], purpose: str = "collections_contact"
    ) -> dict[str, ContactPoint]:
        """`contact_point` for many people in one transaction (collections' automated texts of a day):
        one read, each person's read logged in their audit chain as `contact_point` logs it. People
        who do not exist are left out."""
        if not person_ids:
            return {}
        with self._uow() as uow:
            rows = uow.conn.execute(
                select(
                    identity_person.c.id,
                    identity_person.c.phone_cipher,
                    identity_person.c.phone_masked,
                    identity_person.c.timezone,
                ).where(identity_person.c.id.in_(sorted(set(person_ids))))
            ).all()
            audit.record_many(
                uow,
                actor_id=audit.SYSTEM,
                actor_role=audit.SYSTEM,
                reads=[(str(r.id), "phone", purpose) for r in rows],
            )
            points = {
                str(r.id): ContactPoint(self.vault.decrypt(r.phone_cipher, "phone"), r.phone_masked, r.timezone)
                for r in rows
            }
            uow.commit()
        return points

    def live_consent(
        self, person_id: str, purpose: ConsentPurpose | str, institution: str = ""
    ) -> ConsentRecord | None:
        return self.consents.live(person_id, purpose, institution)

    def approved_certificates(self, person_id: str) -> list[CertificateFacts]:
        return self.certificates.approved(person_id)

    def same_person(self, a: str, b: str) -> bool:
        """Whether two accounts (say an investor's and a borrower's) are one person: the same mobile
        number or the same verified ID number, compared by their blind indexes, never in clear."""
        if a == b:
            return True
        with self._uow(read_only=True) as uow:
            first, second = load_person(uow, a), load_person(uow, b)
        if first.phone_index == second.phone_index:
            return True
        return first.id_number_index is not None and first.id_number_index == second.id_number_index

    def verified_among(self, person_ids: Collection[str]) -> frozenset[str]:
        """Which of these people reached identity_verified: one read for a set (auto-invest's seats)."""
        if not person_ids:
            return frozenset()
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(identity_kyc.c.person_id)
                .where(
                    identity_kyc.c.person_id.in_(sorted(set(person_ids))),
                    identity_kyc.c.level == KycLevel.IDENTITY_VERIFIED.value,
                )
                .distinct()
            )
            return frozenset(r.person_id for r in rows)

    def same_person_among(self, person_id: str, others: Collection[str]) -> frozenset[str]:
        """Which of `others` are one person with `person_id` (`same_person` for a set, in one read)."""
        wanted = sorted(set(others))
        mine = frozenset(o for o in wanted if o == person_id)
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(identity_person.c.phone_index, identity_person.c.id_number_index).where(
                    identity_person.c.id == person_id
                )
            ).first()
            if row is None or not wanted:
                return mine
            alike = identity_person.c.phone_index == row.phone_index
            if row.id_number_index is not None:
                alike = or_(alike, identity_person.c.id_number_index == row.id_number_index)
            rows = uow.conn.execute(select(identity_person.c.id).where(identity_person.c.id.in_(wanted), alike))
            return mine | frozenset(r.id for r in rows)

    # ---- operators' view in clear ----------------------------------------------

    def unmasked(self, operator: Principal, person_id: str, purpose: str) -> UnmaskedPerson:
        """A person's personal data in clear for an operator; the view is audit-logged first."""
        if operator.role not in UNMASK_ROLES:
            raise Forbidden("role_not_allowed", "this role may not see personal data in clear")
        purpose = purpose.strip()
        if not purpose:
            raise Invalid("purpose_required", "say why you need to see this person's data in clear")
        with self._uow() as uow:
            row = load_person(uow, person_id)
            cards = uow.conn.execute(
                select(identity_bank_card.c.card_cipher)
                .where(identity_bank_card.c.person_id == person_id)
                .order_by(identity_bank_card.c.id)
            ).all()
            audit.record(
                uow,
                actor_id=operator.subject_id,
                actor_role=operator.role.value,
                person_id=person_id,
                fields="name,phone,id_number,bank_cards",
                purpose=purpose[:60],
            )
            view = UnmaskedPerson(
                person_id,
                self.vault.decrypt(row.name_cipher, "name") if row.name_cipher else "",
                self.vault.decrypt(row.phone_cipher, "phone"),
                self.vault.decrypt(row.id_number_cipher, "id_number") if row.id_number_cipher else "",
                tuple(self.vault.decrypt(c.card_cipher, "card") for c in cards),
            )
            uow.commit()
        return view
