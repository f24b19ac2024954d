"""Storage behind the `Idempotency-Key` mechanism.

The first request with a key claims it (state `pending`) before doing any
work; when it finishes, its response is stored (state `done`). A replay with
the same key and body gets the stored response; with a different body it is
refused; while the first is still running it is told to retry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from fairlend.clock import Clock
from fairlend.db.tables import idempotency_key
from fairlend.db.uow import UnitOfWorkFactory


class Claim(enum.Enum):
    NEW = "new"
    REPLAY = "replay"
    MISMATCH = "mismatch"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: bytes


class IdempotencyStore:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def claim(self, scope_key: str, request_hash: str) -> tuple[Claim, StoredResponse | None]:
        try:
            with self._uow() as uow:
                uow.conn.execute(
                    insert(idempotency_key).values(
                        scope_key=scope_key, request_hash=request_hash, state="pending", created_at=self._clock.now()
                    )
                )
                uow.commit()
            return Claim.NEW, None
        except IntegrityError:
            pass
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(select(idempotency_key).where(idempotency_key.c.scope_key == scope_key)).one()
        if row.request_hash != request_hash:
            return Claim.MISMATCH, None
        if row.state != "done":
            return Claim.IN_PROGRESS, None
        return Claim.REPLAY, StoredResponse(
            row.status_code, row.content_type or "application/json", bytes(row.body or b"")
        )

    def complete(self, scope_key: str, response: StoredResponse) -> None:
        with self._uow() as uow:
            uow.conn.execute(
                update(idempotency_key)
                .where(idempotency_key.c.scope_key == scope_key)
                .values(
                    state="done",
                    status_code=response.status_code,
                    content_type=response.content_type,
                    body=response.body,
                )
            )
            uow.commit()

    def release(self, scope_key: str) -> None:
        """Forget a claim whose request failed on our side, so the caller may retry."""
        with self._uow() as uow:
            uow.conn.execute(delete(idempotency_key).where(idempotency_key.c.scope_key == scope_key))
            uow.commit()
