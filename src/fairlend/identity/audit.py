"""The audit log of personal data seen in clear: who, whose, which fields, why, when.

Sessions ended early are written here too (sessions.py): who ended whose
sessions (`fields` `session` or `sessions`) and why."""

from __future__ import annotations

from sqlalchemy import insert, select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.identity.model import AuditEntry
from fairlend.identity.tables import identity_audit

SYSTEM = "system"


def record(uow: UnitOfWork, *, actor_id: str, actor_role: str, person_id: str, fields: str, purpose: str) -> None:
    uow.conn.execute(
        insert(identity_audit).values(
            actor_id=actor_id,
            actor_role=actor_role,
            person_id=person_id,
            fields=fields,
            purpose=purpose,
            at=uow.clock.now(),
            business_date=uow.clock.business_date(),
        )
    )


class AuditLog:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def entries(self, person_id: str | None = None, limit: int = 200) -> list[AuditEntry]:
        query = select(identity_audit).order_by(identity_audit.c.id.desc()).limit(limit)
        if person_id:
            query = query.where(identity_audit.c.person_id == person_id)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query).all()
        return [AuditEntry(r.actor_id, r.actor_role, r.person_id, r.fields, r.purpose, r.at) for r in rows]
