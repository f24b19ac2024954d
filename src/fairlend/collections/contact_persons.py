"""Contact persons: named one at a time by the borrower, each confirming with their own code (P-1).

A contact person does not exist for collections until they confirm. identity
makes the code (its limits apply); the message that carries it goes through
the contact gateway like every other message to a person: in the contact
person's hours, never to a number the borrower forbade, checked against the
profile's consent-request template, and in the borrower's contact log with
the code masked (P-4). There is no list, no import, no address book.

A person is a number (P-8): the same number cannot be named twice, and the
borrower's own number is not a contact person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update

from fairlend.collections.addresses import NumberKeys, normalise_phone, valid_zone
from fairlend.collections.events import ContactPersonConfirmed, ContactPersonNamed
from fairlend.collections.gateway import ContactGateway, ContactRequest
from fairlend.collections.model import ContactPersonStatus, Medium, RecipientKind, mask_name, mask_phone
from fairlend.collections.ports import CONTACT_PERSON_NAME, CONTACT_PERSON_PHONE, OtpPort, Sealer
from fairlend.collections.tables import contact_person
from fairlend.collections.views import ContactPersonView, person_view
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile

# identity's OtpPurpose.CONFIRM_CONTACT: the code text tells the person what they agree to.
CONTACT_PERSON_PURPOSE = "confirm_contact"
CONSENT_TEMPLATE = "contact_consent"
MAX_CONTACT_PERSONS = 5


class ContactPersons:
    """Part of CollectionsService (split out by concept)."""

    _uow: UnitOfWorkFactory
    _profile: Profile
    _otp: OtpPort
    _number_key: NumberKeys
    _sealer: Sealer
    gateway: ContactGateway

    # -- contact persons (one at a time, each confirmed by themselves; P-1) ----

    def _phone(self, raw: str) -> str:
        return normalise_phone(raw, self._profile.phone_region)

    def name_contact_person(
        self, borrower_id: str, name: str, relation: str, phone: str, purpose: str = "", timezone: str | None = None
    ) -> ContactPersonView:
        """Name one contact person and ask them, through the gateway, to confirm with their own code."""
        name, relation = name.strip(), relation.strip()
        if not name or not relation:
            raise Invalid("contact_person_incomplete", "a contact person needs a name and a relation")
        e164 = self._phone(phone)
        tz = valid_zone(timezone or self._profile.timezone)
        key = self._number_key(e164)
        own = self.gateway.contact_point(borrower_id)
        if own is not None and own.phone_e164 and self._number_key(own.phone_e164) == key:
            raise Invalid("contact_person_is_you", "your own number cannot be your contact person")
        contact_id = new_id("cp")
        with self._uow() as uow:
            named = uow.conn.execute(
                select(contact_person.c.number_key).where(
                    contact_person.c.borrower_id == borrower_id,
                    contact_person.c.status != ContactPersonStatus.REVOKED.value,
                )
            ).all()
            if len(named) >= MAX_CONTACT_PERSONS:
                raise Conflict(
                    "too_many_contact_persons", f"at most {MAX_CONTACT_PERSONS} contact persons; revoke one first"
                )
            if any(row.number_key == key for row in named):
                raise Conflict("contact_person_exists", "this number is already one of your contact persons")
            uow.conn.execute(
                insert(contact_person).values(
                    borrower_id=borrower_id,
                    id=contact_id,
                    # DESIGN 4: the name and the number are stored only sealed by identity's vault.
                    name=mask_name(name[:80]),
                    name_sealed=self._sealer.seal(name[:80], CONTACT_PERSON_NAME),
                    relation=relation[:40],
                    purpose=(purpose or "restore contact when the borrower cannot be reached")[:200],
                    phone_sealed=self._sealer.seal(e164, CONTACT_PERSON_PHONE),
                    phone_masked=mask_phone(e164),
                    number_key=key,
                    timezone=tz,
                    status=ContactPersonStatus.PENDING.value,
                    created_at=uow.clock.now(),
                    confirmed_at=None,
                )
            )
            uow.publish(ContactPersonNamed(contact_id, borrower_id, uow.clock.business_date()))
            uow.commit()
        try:
            self._ask_to_confirm(borrower_id, contact_id, e164)
        except Exception:
            # Nobody was asked: no half-named contact person stays behind.
            with self._uow() as uow:
                uow.conn.execute(
                    delete(contact_person).where(
                        contact_person.c.borrower_id == borrower_id,
                        contact_person.c.id == contact_id,
                        contact_person.c.status == ContactPersonStatus.PENDING.value,
                    )
                )
                uow.commit()
            raise
        return self.contact_person(contact_id)

    def _ask_to_confirm(self, borrower_id: str, contact_id: str, e164: str) -> None:
        """The code goes to the contact person's own phone, through the gateway (checked and logged)."""
        # The borrower's own budget of codes is spent: naming people cannot text numbers without end.
        code = self._otp.issue_code(e164, CONTACT_PERSON_PURPOSE, f"person:{borrower_id}")
        decision = self.gateway.attempt(
            ContactRequest(
                loan_id="",
                borrower_id=borrower_id,
                medium=Medium.SMS,
                recipient_kind=RecipientKind.CONTACT_PERSON,
                contact_person_id=contact_id,
                template=CONSENT_TEMPLATE,
                collector_id="system",
                secrets={"code": code},
            )
        )
        if not decision.allowed:
            raise Conflict(
                "contact_consent_blocked",
                "the request to your contact person cannot go now: " + ", ".join(decision.rules),
                rules=list(decision.rules),
            )
        if decision.outcome.value != "sent":
            raise Conflict(
                "contact_consent_not_sent", "the message to your contact person could not be sent; try again"
            )

    def resend_contact_code(self, borrower_id: str, contact_id: str) -> ContactPersonView:
        """Send a pending contact person a new code (identity's limits and the gateway's rules apply)."""
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
        self._ask_to_confirm(borrower_id, contact_id, self._sealer.open(row.phone_sealed, CONTACT_PERSON_PHONE))
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
        phone = self._sealer.open(row.phone_sealed, CONTACT_PERSON_PHONE)
        if not self._otp.verify_code(phone, code, CONTACT_PERSON_PURPOSE):
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
        return person_view(row, self._name(row))

    def contact_persons(self, borrower_id: str, *, masked: bool = False) -> list[ContactPersonView]:
        """The borrower's contact persons; `masked` for staff, who see "张*", never the sealed full name."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(contact_person).where(contact_person.c.borrower_id == borrower_id).order_by(contact_person.c.id)
            ).all()
        return [person_view(r, str(r.name) if masked else self._name(r)) for r in rows]

    def _name(self, row: Any) -> str:
        return self._sealer.open(row.name_sealed, CONTACT_PERSON_NAME) if row.name_sealed else str(row.name)
