"""Personal data collections keeps, sealed at rest: key rotation and `fairlend verify`.

Contact persons' phones and names, every contact-log text, pending dispatches,
complaints (words, answers, extension notes) and their files are sealed by
identity's PII vault under a key id. `reseal` rewrites whatever is still under
an older key, and seals what was stored in clear before sealing existed;
identity's rotation covers identity's tables, this covers ours, so an old key
can be dropped once both report zero. `verify_sealed` names every sealed value
that no configured key opens (an operations fault, never the caller's).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, select, update

from fairlend.collections.addresses import NumberKeys
from fairlend.collections.model import mask_name
from fairlend.collections.ports import (
    COMPLAINT_FILE,
    COMPLAINT_TEXT,
    CONTACT_PERSON_NAME,
    CONTACT_PERSON_PHONE,
    DISPATCH,
    LOG_TEXT,
    SealBroken,
    Sealer,
)
from fairlend.collections.tables import complaint, complaint_attachment, contact_dispatch, contact_log, contact_person
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.ledger.service import Discrepancy


class AtRest:
    """Part of CollectionsService (split out by concept)."""

    _uow: UnitOfWorkFactory
    _number_key: NumberKeys
    _sealer: Sealer

    def reseal(self) -> int:
        """Rewrite every sealed value still under an older key, seal what is still clear; returns rows rewritten."""
        rewritten = 0
        with self._uow() as uow:
            rewritten += self._reseal_persons(uow)
            rewritten += self._reseal_column(uow, contact_log, ("borrower_id", "seq"), "text", LOG_TEXT, "text_sealed")
            rewritten += self._reseal_column(uow, contact_dispatch, ("borrower_id", "log_id"), "sealed", DISPATCH, None)
            for column in ("text", "answer", "extension_note"):
                rewritten += self._reseal_column(
                    uow, complaint, ("borrower_id", "id"), column, COMPLAINT_TEXT, "sealed"
                )
            rewritten += self._reseal_files(uow)
            uow.commit()
        return rewritten

    def _reseal_column(
        self, uow: UnitOfWork, table: Table, key: tuple[str, ...], column: str, purpose: str, flag: str | None
    ) -> int:
        rewritten = 0
        columns = [table.c[k] for k in key] + [table.c[column]] + ([table.c[flag]] if flag else [])
        for row in uow.conn.execute(select(*columns)).all():
            value = row._mapping[column]
            if value is None:
                continue
            sealed_already = flag is None or bool(row._mapping[flag])
            fresh = self._sealer.reseal(value, purpose) if sealed_already else self._sealer.seal(value, purpose)
            if fresh is None:
                continue
            where = [table.c[k] == row._mapping[k] for k in key]
            values: dict[str, Any] = {column: fresh}
            if flag and not sealed_already:
                if table is complaint:
                    # One flag covers the whole row: seal its other texts in the same write.
                    values = self._seal_complaint_row(uow, where)
                else:
                    values[flag] = True
            uow.conn.execute(update(table).where(*where).values(**values))
            rewritten += 1
        return rewritten

    def _seal_complaint_row(self, uow: UnitOfWork, where: list[Any]) -> dict[str, Any]:
        row = uow.conn.execute(
            select(complaint.c.text, complaint.c.answer, complaint.c.extension_note).where(*where)
        ).one()
        seal: Callable[[str | None], str | None] = lambda v: None if v is None else self._sealer.seal(v, COMPLAINT_TEXT)  # noqa: E731
        return {
            "text": seal(row.text),
            "answer": seal(row.answer),
            "extension_note": seal(row.extension_note),
            "sealed": True,
        }

    def _reseal_files(self, uow: UnitOfWork) -> int:
        rewritten = 0
        t = complaint_attachment
        for row in uow.conn.execute(select(t.c.borrower_id, t.c.complaint_id, t.c.seq, t.c.data, t.c.sealed)).all():
            data = bytes(row.data)
            if row.sealed:
                fresh = self._sealer.reseal(data.decode(), COMPLAINT_FILE)
            else:
                fresh = self._sealer.seal(base64.b64encode(data).decode(), COMPLAINT_FILE)
            if fresh is None:
                continue
            uow.conn.execute(
                update(t)
                .where(t.c.borrower_id == row.borrower_id, t.c.complaint_id == row.complaint_id, t.c.seq == row.seq)
                .values(data=fresh.encode(), sealed=True)
            )
            rewritten += 1
        return rewritten

    def _reseal_persons(self, uow: UnitOfWork) -> int:
        rewritten = 0
        t = contact_person
        for row in uow.conn.execute(select(t.c.borrower_id, t.c.id, t.c.phone_sealed, t.c.name, t.c.name_sealed)).all():
            values: dict[str, str] = {}
            phone = self._sealer.reseal(row.phone_sealed, CONTACT_PERSON_PHONE)
            if phone is not None:
                values["phone_sealed"] = phone
            if row.name_sealed is None:  # named before names were sealed
                values.update(name=mask_name(row.name), name_sealed=self._sealer.seal(row.name, CONTACT_PERSON_NAME))
            else:
                name = self._sealer.reseal(row.name_sealed, CONTACT_PERSON_NAME)
                if name is not None:
                    values["name_sealed"] = name
            if values:
                uow.conn.execute(update(t).where(t.c.borrower_id == row.borrower_id, t.c.id == row.id).values(**values))
                rewritten += 1
        return rewritten

    def verify_sealed(self) -> list[Discrepancy]:
        """Every sealed value opens, and each contact person's number key is still the number's (P-8)."""
        found: list[Discrepancy] = []

        def opens(where: str, subject: str, sealed: str, purpose: str) -> str | None:
            try:
                return self._sealer.open(sealed, purpose)
            except SealBroken as exc:
                found.append(Discrepancy(where, subject, f"a sealed value does not open: {exc}"))
                return None

        with self._uow(read_only=True) as uow:
            conn = uow.conn
            t = contact_person
            for row in conn.execute(select(t.c.id, t.c.phone_sealed, t.c.name_sealed, t.c.number_key)).all():
                phone = opens("contact_person.phone", row.id, row.phone_sealed, CONTACT_PERSON_PHONE)
                if row.name_sealed is not None:
                    opens("contact_person.name", row.id, row.name_sealed, CONTACT_PERSON_NAME)
                if phone is not None and self._number_key(phone) != row.number_key:
                    found.append(
                        Discrepancy("contact_person.number_key", row.id, "number_key does not match the phone")
                    )
            for pending in conn.execute(select(contact_dispatch.c.log_id, contact_dispatch.c.sealed)).all():
                opens("contact_dispatch", pending.log_id, pending.sealed, DISPATCH)
            c = complaint
            for filed in conn.execute(select(c.c.id, c.c.text, c.c.answer, c.c.extension_note).where(c.c.sealed)):
                for value in (filed.text, filed.answer, filed.extension_note):
                    if value is not None:
                        opens("complaint", filed.id, value, COMPLAINT_TEXT)
            a = complaint_attachment
            for file in conn.execute(select(a.c.complaint_id, a.c.seq, a.c.data).where(a.c.sealed)).all():
                opens(
                    "complaint_attachment", f"{file.complaint_id}#{file.seq}", bytes(file.data).decode(), COMPLAINT_FILE
                )
        # Log texts are opened by the chain check itself (`verify`): a text that does not open breaks it.
        return found
