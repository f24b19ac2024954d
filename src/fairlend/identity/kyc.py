"""KYC: the ID number (identity verified) and a real-name bank card (four elements)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.identity.accounts import execute_unique, load_person
from fairlend.identity.checks import check_card_number, check_id_number, check_name, normalise_phone
from fairlend.identity.events import BankCardBound, KycLevelReached
from fairlend.identity.model import BankCard, KycLevel, KycMethod, KycRecord, mask_card, mask_id_number, mask_name
from fairlend.identity.pii import PiiVault
from fairlend.identity.ports import BankVerifier
from fairlend.identity.tables import identity_bank_card, identity_kyc, identity_person
from fairlend.ids import new_id


def levels(uow: UnitOfWork, person_id: str) -> list[KycRecord]:
    rows = uow.conn.execute(select(identity_kyc).where(identity_kyc.c.person_id == person_id)).all()
    records = [KycRecord(KycLevel(r.level), KycMethod(r.method), r.verified_at) for r in rows]
    # Levels build on each other, so their declared order breaks ties in time.
    order = list(KycLevel)
    return sorted(records, key=lambda r: (r.verified_at, order.index(r.level)))


def _reach(uow: UnitOfWork, person_id: str, level: KycLevel, method: KycMethod) -> KycRecord:
    now = uow.clock.now()
    uow.conn.execute(
        insert(identity_kyc).values(person_id=person_id, level=level.value, method=method.value, verified_at=now)
    )
    uow.publish(KycLevelReached(person_id, level, method, uow.clock.business_date()))
    return KycRecord(level, method, now)


_REACH_ONCE = {
    name: dialect.insert(identity_kyc)
    .values(person_id=bindparam("p"), level=bindparam("level"), method=bindparam("method"), verified_at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=[identity_kyc.c.person_id, identity_kyc.c.level])
    .returning(identity_kyc.c.level)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _reached_now(uow: UnitOfWork, person_id: str, level: KycLevel, method: KycMethod) -> KycLevelReached | None:
    """Record the level unless the person has it already (the key is person and level): the event to
    publish when this call reached it, None when it was reached before. One statement, no read."""
    inserted = uow.conn.execute(
        _REACH_ONCE[uow.dialect], {"p": person_id, "level": level.value, "method": method.value, "at": uow.clock.now()}
    ).first()
    return None if inserted is None else KycLevelReached(person_id, level, method, uow.clock.business_date())


# The person, and whether the card is bound to them already, in one read.
_PERSON_AND_CARD = select(
    identity_person,
    exists()
    .where(identity_bank_card.c.person_id == identity_person.c.id, identity_bank_card.c.card_index == bindparam("card"))
    .label("card_bound"),
).where(identity_person.c.id == bindparam("p"))


class Kyc:
    def __init__(
        self, uow: UnitOfWorkFactory, vault: PiiVault, verifier: BankVerifier, id_scheme: str, phone_region: str
    ) -> None:
        self._uow = uow
        self._vault = vault
        self._verifier = verifier
        self._scheme = id_scheme
        self._region = phone_region

    def levels(self, person_id: str) -> list[KycRecord]:
        with self._uow(read_only=True) as uow:
            load_person(uow, person_id)
            return levels(uow, person_id)

    def verify_identity(self, person_id: str, name: str, id_number: str, birth_date: date) -> KycRecord:
        clean_name = check_name(name)
        with self._uow() as uow:
            person = load_person(uow, person_id)
            checked = check_id_number(id_number, self._scheme, birth_date, uow.clock.business_date())
            if person.id_number_index is not None:
                raise Conflict("identity_already_verified", "this account's identity is already verified")
            index = self._vault.blind_index(checked.number, "id_number")
            # Another account of the role with this ID number: the unique key (role, id_number_index) refuses it.
            execute_unique(
                uow,
                Conflict("id_number_already_registered", "another account is registered with this ID number"),
                update(identity_person)
                .where(identity_person.c.id == person_id)
                .values(
                    name_cipher=self._vault.encrypt(clean_name, "name"),
                    name_masked=mask_name(clean_name),
                    id_number_cipher=self._vault.encrypt(checked.number, "id_number"),
                    id_number_index=index,
                    id_number_masked=mask_id_number(checked.number),
                    id_scheme=checked.scheme,
                ),
            )
            record = _reach(uow, person_id, KycLevel.IDENTITY_VERIFIED, KycMethod.ID_NUMBER_CHECK)
            uow.commit()
        return record

    def bind_bank_card(self, person_id: str, card_number: str, phone: str | None = None) -> BankCard:
        """Bind a real-name card: the bank confirms name, ID number, card and phone belong together."""
        digits = check_card_number(card_number)
        index = self._vault.blind_index(digits, "card")
        with self._uow() as uow:
            person = uow.conn.execute(_PERSON_AND_CARD, {"p": person_id, "card": index}).first()
            if person is None:
                raise NotFound("person_not_found", f"no person {person_id}")
            if person.id_number_cipher is None or person.name_cipher is None:
                raise Conflict("identity_not_verified", "verify your identity before binding a bank card")
            phone_e164 = (
                normalise_phone(phone, self._region).e164
                if phone
                else self._vault.decrypt(person.phone_cipher, "phone")
            )
            # Checked before the bank is asked: a card bound already costs no verification.
            if person.card_bound:
                raise Conflict("card_already_bound", "this card is already bound to your account")
            confirmed = self._verifier.verify(
                name=self._vault.decrypt(person.name_cipher, "name"),
                id_number=self._vault.decrypt(person.id_number_cipher, "id_number"),
                card_number=digits,
                phone_e164=phone_e164,
            )
            if not confirmed:
                raise Invalid(
                    "bank_card_not_verified", "the bank did not confirm this card for your name, ID and phone"
                )
            card_id = new_id("card")
            now = uow.clock.now()
            execute_unique(
                uow,
                Conflict("card_already_bound", "this card is already bound to your account"),
                insert(identity_bank_card).values(
                    person_id=person_id,
                    id=card_id,
                    card_cipher=self._vault.encrypt(digits, "card"),
                    card_index=index,
                    card_masked=mask_card(digits),
                    verified_at=now,
                ),
            )
            reached = _reached_now(uow, person_id, KycLevel.BANK_CARD_VERIFIED, KycMethod.FOUR_ELEMENTS)
            bound = BankCardBound(person_id, card_id, uow.clock.business_date())
            uow.publish_many([bound] if reached is None else [bound, reached])
            uow.commit()
        return BankCard(card_id, person_id, mask_card(digits), now)

    def bank_cards(self, person_id: str) -> list[BankCard]:
        with self._uow(read_only=True) as uow:
            load_person(uow, person_id)
            rows = uow.conn.execute(
                select(identity_bank_card)
                .where(identity_bank_card.c.person_id == person_id)
                .order_by(identity_bank_card.c.id)
            ).all()
        return [BankCard(r.id, r.person_id, r.card_masked, r.verified_at) for r in rows]
