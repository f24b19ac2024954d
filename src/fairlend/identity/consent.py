"""Consent records: who agreed to what, for whom, to which exact text, when, until when.

A credit inquiry needs a live consent naming the inquiring institution (CN-14);
other contexts ask `live_consent(...)` before they act.
"""

from __future__ import annotations

import re

from sqlalchemy import exists, insert, literal, select, update
from sqlalchemy.engine import Connection, Row

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.identity.accounts import load_person
from fairlend.identity.events import ConsentGiven, ConsentRevoked
from fairlend.identity.model import ConsentPurpose, ConsentRecord
from fairlend.identity.tables import identity_consent, identity_person
from fairlend.ids import new_id

TEXT_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,59}$")


def _record(r: Row[tuple[object, ...]]) -> ConsentRecord:
    return ConsentRecord(
        r.id, r.person_id, ConsentPurpose(r.purpose), r.institution, r.text_version, r.given_at, r.revoked_at
    )


def parse_purpose(purpose: ConsentPurpose | str) -> ConsentPurpose:
    try:
        return ConsentPurpose(purpose)
    except ValueError:
        choices = ", ".join(p.value for p in ConsentPurpose)
        raise Invalid("invalid_consent_purpose", f"consent purposes are: {choices}") from None


class Consents:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def give(
        self, person_id: str, purpose: ConsentPurpose | str, text_version: str, institution: str = ""
    ) -> ConsentRecord:
        kind = parse_purpose(purpose)
        institution = institution.strip()
        if kind.needs_institution and not institution:
            raise Invalid("institution_required", f"a {kind.value} consent names the institution that may inquire")
        if not kind.needs_institution and institution:
            raise Invalid("institution_not_applicable", f"a {kind.value} consent names no institution")
        if len(institution) > 120:
            raise Invalid("invalid_institution", "an institution name has at most 120 characters")
        if not TEXT_VERSION.match(text_version):
            raise Invalid("invalid_text_version", "name the exact version of the consent text, e.g. credit-inquiry/v3")
        consent_id = new_id("cons")
        with self._uow() as uow:
            now = uow.clock.now()
            # Written only for a person who exists: the check and the write are one statement.
            values = select(
                literal(person_id, identity_consent.c.person_id.type),
                literal(consent_id, identity_consent.c.id.type),
                literal(kind.value, identity_consent.c.purpose.type),
                literal(institution, identity_consent.c.institution.type),
                literal(text_version, identity_consent.c.text_version.type),
                literal(now, identity_consent.c.given_at.type),
            ).where(exists().where(identity_person.c.id == person_id))
            written = uow.conn.execute(
                insert(identity_consent)
                .from_select(["person_id", "id", "purpose", "institution", "text_version", "given_at"], values)
                .returning(identity_consent.c.id)
            ).first()
            if written is None:
                raise NotFound("person_not_found", f"no person {person_id}")
            uow.publish(ConsentGiven(person_id, consent_id, kind, institution, text_version, uow.clock.business_date()))
            uow.commit()
        return ConsentRecord(consent_id, person_id, kind, institution, text_version, now, None)

    def revoke(self, person_id: str, consent_id: str) -> ConsentRecord:
        with self._uow() as uow:
            row = uow.conn.execute(
                select(identity_consent)
                .where(identity_consent.c.person_id == person_id)
                .where(identity_consent.c.id == consent_id)
            ).first()
            if row is None:
                raise NotFound("consent_not_found", f"no consent {consent_id}")
            if row.revoked_at is not None:
                raise Conflict("consent_already_revoked", "this consent is already revoked")
            now = uow.clock.now()
            uow.conn.execute(
                update(identity_consent)
                .where(identity_consent.c.person_id == person_id)
                .where(identity_consent.c.id == consent_id)
                .values(revoked_at=now)
            )
            uow.publish(
                ConsentRevoked(
                    person_id, consent_id, ConsentPurpose(row.purpose), row.institution, uow.clock.business_date()
                )
            )
            uow.commit()
        return ConsentRecord(
            row.id, person_id, ConsentPurpose(row.purpose), row.institution, row.text_version, row.given_at, now
        )

    def list_for(self, person_id: str) -> list[ConsentRecord]:
        with self._uow(read_only=True) as uow:
            load_person(uow, person_id)
            rows = uow.conn.execute(
                select(identity_consent)
                .where(identity_consent.c.person_id == person_id)
                .order_by(identity_consent.c.id)
            ).all()
        return [_record(r) for r in rows]

    def live(self, person_id: str, purpose: ConsentPurpose | str, institution: str = "") -> ConsentRecord | None:
        """The newest unrevoked consent for this purpose (and institution), or None."""
        with self._uow(read_only=True) as uow:
            return live(uow.conn, person_id, purpose, institution)


def live(
    conn: Connection, person_id: str, purpose: ConsentPurpose | str, institution: str = ""
) -> ConsentRecord | None:
    """`Consents.live` inside the caller's transaction."""
    kind = parse_purpose(purpose)
    row = conn.execute(
        select(identity_consent)
        .where(identity_consent.c.person_id == person_id)
        .where(identity_consent.c.purpose == kind.value)
        .where(identity_consent.c.institution == institution.strip())
        .where(identity_consent.c.revoked_at.is_(None))
        .order_by(identity_consent.c.given_at.desc(), identity_consent.c.id.desc())
        .limit(1)
    ).first()
    return _record(row) if row is not None else None
