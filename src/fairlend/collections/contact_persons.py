"""Contact persons: named one at a time by the borrower, each confirming with their own code (P-1).

A contact person does not exist for collections until they confirm: the code
goes to their phone through identity's one-time codes. There is no list, no
import, no address book.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, update

from fairlend.collections.events import ContactPersonConfirmed, ContactPersonNamed
from fairlend.collections.gateway import NumberKeys, normalise_phone, valid_zone
from fairlend.collections.model import ContactPersonStatus, mask_phone
from fairlend.collections.ports import OtpPort, PhoneVault, SealBroken
from fairlend.collections.tables import contact_person
from fairlend.collections.views import ContactPersonView, person_view
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.service import Discrepancy

# identity's OtpPurpose.CONFIRM_CONTACT: the code text tells the person what they agree to.
CONTACT_PERSON_PURPOSE = "confirm_contact"
MAX_CONTACT_PERSONS = 5


class ContactPersons:
    """Part of CollectionsService (split out by concept)."""

    _uow: UnitOfWorkFactory
    _profile: Profile
    _otp: OtpPort
    _number_key: NumberKeys
    _phone_vault: PhoneVault

    # -- contact persons (one at a time, each confirmed by themselves; P-1) ----

    def _phone(self, raw: str) -> str:
        return normalise_phone(raw, self._profile.phone_region)

    def name_contact_person(
        self, borrower_id: str, name: str, relation: str, phone: str, purpose: str = "", timezone: str | None = None
    ) -> ContactPersonView:
        """Name one contact person; they exist for collections only once they confirm with their own code."""
        name, relation = name.strip(), relation.strip()
        if not name or not relation:
            raise Invalid("contact_person_incomplete", "a contact person needs a name and a relation")
        e164 = self._phone(phone)
        tz = valid_zone(timezone or self._profile.timezone)
        contact_id = new_id("cp")
        with self._uow(read_only=True) as uow:
            own = uow.conn.execute(
                select(func.count()).where(
                    contact_person.c.borrower_id == borrower_id,
                    contact_person.c.status != ContactPersonStatus.REVOKED.value,
                )
            ).scalar()
        if int(own or 0) >= MAX_CONTACT_PERSONS:
            raise Conflict(
                "too_many_contact_persons", f"at most {MAX_CONTACT_PERSONS} contact persons; revoke one first"
            )
        # The code goes to the contact person's own phone: only they can confirm. It is sent
        # first, through identity's own transaction (its rate limits and audit), so a refused
        # send leaves no half-named contact person behind.
        self._otp.send_code(e164, CONTACT_PERSON_PURPOSE)
        with self._uow() as uow:
            uow.conn.execute(
                insert(contact_person).values(
                    borrower_id=borrower_id,
                    id=contact_id,
                    name=name[:80],
                    relation=relation[:40],
                    purpose=(purpose or "restore contact when the borrower cannot be reached")[:200],
                    # DESIGN 4: the number is stored only sealed by identity's vault.
                    phone_sealed=self._phone_vault.seal(e164),
                    phone_masked=mask_phone(e164),
                    number_key=self._number_key(e164),
                    timezone=tz,
                    status=ContactPersonStatus.PENDING.value,
                    created_at=uow.clock.now(),
                    confirmed_at=None,
                )
            )
            uow.publish(ContactPersonNamed(contact_id, borrower_id, uow.clock.business_date()))
            uow.commit()
        return self.contact_person(contact_id)

    def resend_contact_code(self, borrower_id: str, contact_id: str) -> ContactPersonView:
        """Send a pending contact person a new code (identity's limits apply)."""
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(contact_person.c.phone_sealed, contact_person.c.status).where(
                    contact_person.c.borrower_id == borrower_id, contact_person.c.id == contact_id
                )
            ).first()
        if row is None:
            raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
        if row.status != ContactPersonStatus.PENDING.value:
            raise Conflict("contact_person_not_pending", f"the contact person is {row.status}")
        self._otp.send_code(self._phone_vault.open(row.phone_sealed), CONTACT_PERSON_PURPOSE)
        return self.contact_person(contact_id)

    def confirm_contact_person(self, contact_id: str, code: str) -> ContactPersonView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(contact_person.c.borrower_id, contact_person.c.phone_sealed, contact_person.c.status).where(
                    contact_person.c.id == contact_id
                )
            ).first()
        if row is None:
            raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
        if row.status != ContactPersonStatus.PENDING.value:
            raise Conflict("contact_person_not_pending", f"the contact person is {row.status}")
        # Checked in identity's transaction (it counts wrong tries), before ours opens.
        if not self._otp.verify_code(self._phone_vault.open(row.phone_sealed), code, CONTACT_PERSON_PURPOSE):
            raise Forbidden("bad_code", "the code is wrong or has expired")
        with self._uow() as uow:
            changed = uow.conn.execute(
                update(contact_person)
                .where(
                    contact_person.c.borrower_id == row.borrower_id,
                    contact_person.c.id == contact_id,
                    contact_person.c.status == ContactPersonStatus.PENDING.value,
                )
                .values(status=ContactPersonStatus.CONFIRMED.value, confirmed_at=uow.clock.now())
            ).rowcount
            if not changed:
                raise Conflict("contact_person_not_pending", "the contact person changed meanwhile")
            uow.publish(ContactPersonConfirmed(contact_id, row.borrower_id, uow.clock.business_date()))
            uow.commit()
        return self.contact_person(contact_id)

    def revoke_contact_person(self, borrower_id: str, contact_id: str) -> ContactPersonView:
        with self._uow() as uow:
            changed = uow.conn.execute(
                update(contact_person)
                .where(contact_person.c.borrower_id == borrower_id, contact_person.c.id == contact_id)
                .values(status=ContactPersonStatus.REVOKED.value)
            ).rowcount
            if not changed:
                raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
            uow.commit()
        return self.contact_person(contact_id)

    def contact_person(self, contact_id: str) -> ContactPersonView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(select(contact_person).where(contact_person.c.id == contact_id)).first()
        if row is None:
            raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
        return person_view(row)

    def contact_persons(self, borrower_id: str) -> list[ContactPersonView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(contact_person).where(contact_person.c.borrower_id == borrower_id).order_by(contact_person.c.id)
            ).all()
        return [person_view(r) for r in rows]

    # -- the sealed phones: key rotation and `fairlend verify` -----------------

    def reseal_contact_persons(self) -> int:
        """Re-seal every phone still under an older PII key; returns how many were rewritten.

        identity's rotation covers identity's tables only; this covers ours, so
        an old key can be dropped once both report zero.
        """
        rewritten = 0
        with self._uow() as uow:
            rows = uow.conn.execute(
                select(contact_person.c.borrower_id, contact_person.c.id, contact_person.c.phone_sealed)
            ).all()
            for row in rows:
                fresh = self._phone_vault.reseal(row.phone_sealed)
                if fresh is None:
                    continue
                uow.conn.execute(
                    update(contact_person)
                    .where(contact_person.c.borrower_id == row.borrower_id, contact_person.c.id == row.id)
                    .values(phone_sealed=fresh)
                )
                rewritten += 1
            uow.commit()
        return rewritten

    def verify_contact_persons(self) -> list[Discrepancy]:
        """Every sealed phone opens, and its number key is still the number's (cease requests match by it)."""
        found: list[Discrepancy] = []
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(contact_person.c.id, contact_person.c.phone_sealed, contact_person.c.number_key)
            ).all()
        for row in rows:
            try:
                phone = self._phone_vault.open(row.phone_sealed)
            except SealBroken as exc:
                found.append(Discrepancy("contact_person.phone", row.id, f"the sealed phone does not open: {exc}"))
                continue
            if self._number_key(phone) != row.number_key:
                found.append(Discrepancy("contact_person.number_key", row.id, "number_key does not match the phone"))
        return found
