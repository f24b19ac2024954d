"""Storage behind the `Idempotency-Key` mechanism, safe against a crash at any point.

A request with a key goes through three steps, each its own commit:

1. **claim**: the key's row is written `pending` with a fencing token and a
   lease (`lease_until`);
2. **effect**: every unit of work that commits during the request first marks
   the row `effected`, in the same transaction as the effect (`effects`, which
   sets `db.uow.commit_hook`); the mark matches the claim's token, so a request
   whose claim was taken over cannot commit an effect at all (`ClaimLost`);
3. **answer**: the response is stored (`done`) before it is sent to the client.

A route whose answer is known inside its effect's transaction (a repayment) gives it
to the guard (`EffectGuard.answer_with_effect`): steps 2 and 3 are then one write, in
the effect's own transaction, and the row goes from `pending` to `done` with the effect.

A retry with the same key and request then gets, depending on where the first
attempt stopped:

| the first attempt          | lease running | lease over                                   |
|----------------------------|---------------|----------------------------------------------|
| answered (`done`)          | the answer    | the answer                                   |
| claimed, no effect         | in progress   | the retry takes the claim over and runs      |
| took effect, answer lost   | in progress   | the store's `lost` answer, kept as the answer |

So no key answers "in progress" for longer than its lease, and no request
takes effect twice. A failure on our side (5xx) before any effect forgets
the claim so the caller may retry; after the effect it stores the `lost`
answer instead (`fail`).

Stored answers are personal data (an unmasked view, a credit report): they
are sealed with a `Sealer` (the personal-data vault, passed in by bootstrap;
db imports no identity code). The associated data names the row, so a body
cannot be moved to another key unnoticed. `rotate` re-seals under the current
key; `verify` reports any body no key opens.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from fairlend.clock import Clock
from fairlend.db.idempotency_effects import (
    Claim,
    ClaimLost,
    ClaimResult,
    EffectGuard,
    EffectSlot,
    Held,
    StoredResponse,
    own_transaction,
)
from fairlend.db.tables import idempotency_key
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory, commit_hook

# The claim's vocabulary and the effect's hooks live in idempotency_effects.py; callers import them here.
__all__ = [
    "Claim",
    "ClaimLost",
    "ClaimResult",
    "EffectGuard",
    "EffectSlot",
    "Held",
    "IdempotencyStore",
    "Sealer",
    "StoredResponse",
]

DEFAULT_LEASE = timedelta(seconds=60)
CLEAR = ""  # key_id of a body stored in clear, before foundation_0003
ROTATE_BATCH = 500


class Sealer(Protocol):
    """Authenticated encryption for stored answers (identity's `PiiVault` is one)."""

    @property
    def current_key_id(self) -> str: ...

    def encrypt_bytes(self, plaintext: bytes, purpose: str) -> bytes: ...

    def decrypt_bytes(self, kid: str, blob: bytes, purpose: str) -> bytes: ...


# Built once with bind parameters: a statement built per call with `.values(...)` of plain values
# made SQLAlchemy compute its cache key from every value's type on each execution, about a sixth of
# a POSTed repayment's CPU (docs/performance.md).
_K = idempotency_key.c
_CLAIM_COLUMNS = (
    "scope_key",
    "request_hash",
    "state",
    "claim_token",
    "lease_until",
    "effected",
    "key_id",
    "created_at",
)
_CLAIMS = {
    name: dialect.insert(idempotency_key)
    .values({name: bindparam(name) for name in _CLAIM_COLUMNS})
    .on_conflict_do_nothing(index_elements=["scope_key"])
    .returning(_K.scope_key)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_STORE_VALUES: dict[str, Any] = {
    name: bindparam(name)
    for name in ("state", "status_code", "content_type", "body", "key_id", "claim_token", "lease_until")
}
_STORE = (
    update(idempotency_key).where(_K.scope_key == bindparam("k_scope"), _K.state == "pending").values(_STORE_VALUES)
)
_STORE_HELD = _STORE.where(_K.claim_token == bindparam("k_token"))
# The answer stored in the effect's own transaction: it is the effect's mark as well.
_STORE_WITH_EFFECT = _STORE_HELD.values(effected=True)


@dataclass(frozen=True, slots=True)
class BodyProblem:
    scope_key: str
    detail: str


class IdempotencyStore:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, sealer: Sealer, *, lease: timedelta = DEFAULT_LEASE
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._sealer = sealer
        self._lease = lease

    # ---- the three steps ------------------------------------------------------------

    def claim(self, scope_key: str, request_hash: str, *, lost: StoredResponse) -> ClaimResult:
        """Claim the key for this request, or say what a retry gets (the module docstring's table).

        `lost` is what a retry gets when the first attempt took effect and its answer was lost.
        """
        with own_transaction(), self._uow() as uow:
            return self._claim(uow, scope_key, request_hash, lost)

    def claim_as(
        self,
        owner: Callable[[Connection], str | None],
        scope_key: Callable[[str], str],
        request_hash: str,
        *,
        lost: StoredResponse,
    ) -> ClaimResult | None:
        """`claim` for the owner `owner(conn)` names, read as the first statement of the claim's own
        transaction (None: the credential does not hold now, nothing is claimed or replayed).

        The API reads a bearer token's revocation there: one transaction instead of authentication's
        own read beside the claim's write (docs/performance.md, "Seventh pass").
        """
        with own_transaction(), self._uow() as uow:
            who = owner(uow.conn)
            if who is None:
                return None
            return self._claim(uow, scope_key(who), request_hash, lost)

    def _claim(self, uow: UnitOfWork, scope_key: str, request_hash: str, lost: StoredResponse) -> ClaimResult:
        token = secrets.token_hex(16)
        now = uow.clock.now()
        lease_until = now + self._lease
        fresh = uow.conn.execute(
            _CLAIMS[uow.dialect],
            {
                "scope_key": scope_key,
                "request_hash": request_hash,
                "state": "pending",
                "claim_token": token,
                "lease_until": lease_until,
                "effected": False,
                "key_id": CLEAR,
                "created_at": now,
            },
        ).first()
        if fresh is not None:
            uow.commit()
            return ClaimResult(Claim.NEW, held=Held(scope_key, token))
        query = select(idempotency_key).where(idempotency_key.c.scope_key == scope_key)
        if uow.dialect == "postgresql":
            query = query.with_for_update()  # a takeover or resolution decides once
        row = uow.conn.execute(query).one()
        if row.request_hash != request_hash:
            return ClaimResult(Claim.MISMATCH)
        if row.state == "done":
            return ClaimResult(Claim.REPLAY, stored=self._open(row))
        if row.lease_until is not None and row.lease_until > now:
            wait = max(1, math.ceil((row.lease_until - now).total_seconds()))
            return ClaimResult(Claim.IN_PROGRESS, retry_after=wait)
        if not row.effected:
            # The first attempt died (or overran) before any effect: this one runs instead.
            uow.conn.execute(
                update(idempotency_key)
                .where(idempotency_key.c.scope_key == scope_key)
                .values(claim_token=token, lease_until=lease_until)
            )
            uow.commit()
            return ClaimResult(Claim.NEW, held=Held(scope_key, token))
        # It took effect and its answer was lost: that is the answer from now on.
        self._store(uow.conn, scope_key, lost)
        uow.commit()
        return ClaimResult(Claim.REPLAY, stored=lost)

    def guard(self, held: Held) -> EffectGuard:
        """The commit hook that marks `held` effected (or stores its answer) in each committing transaction."""
        return EffectGuard(held, self)

    @contextmanager
    def effects(self, held: Held) -> Iterator[EffectGuard]:
        """Within this block, every committing unit of work marks the key effected in its own transaction."""
        guard = self.guard(held)
        reset = commit_hook.set(guard)
        try:
            yield guard
        finally:
            commit_hook.reset(reset)

    def complete(self, held: Held, response: StoredResponse) -> bool:
        """Store the answer (before it is sent). False when the claim was lost meanwhile (nothing stored)."""
        with own_transaction(), self._uow() as uow:
            stored = self._store(uow.conn, held.scope_key, response, token=held.token)
            uow.commit()
        return stored

    def fail(self, held: Held, *, lost: StoredResponse) -> StoredResponse | None:
        """Our side failed. Without an effect the claim is forgotten (the caller may retry: None);
        after one, `lost` is stored and returned: the request must not run again."""
        with own_transaction(), self._uow() as uow:
            forgotten = uow.conn.execute(
                delete(idempotency_key)
                .where(idempotency_key.c.scope_key == held.scope_key)
                .where(idempotency_key.c.claim_token == held.token)
                .where(idempotency_key.c.state == "pending")
                .where(idempotency_key.c.effected.is_(False))
            ).rowcount
            if forgotten:
                uow.commit()
                return None
            stored = self._store(uow.conn, held.scope_key, lost, token=held.token)
            uow.commit()
        return lost if stored else None

    def prune(self, retention: timedelta) -> int:
        """Forget keys older than `retention`: answered ones, and claims that died without an effect.

        A claim that took effect but never stored its answer is kept: its retry must still learn
        that the request happened. Returns how many keys went.
        """
        with self._uow() as uow:
            cutoff = uow.clock.now() - retention
            old = idempotency_key.c.created_at < cutoff
            answered = idempotency_key.c.state == "done"
            died = (idempotency_key.c.state == "pending") & idempotency_key.c.effected.is_(False)
            dead_lease = idempotency_key.c.lease_until < uow.clock.now()
            removed = uow.conn.execute(delete(idempotency_key).where(old & (answered | (died & dead_lease)))).rowcount
            uow.commit()
        return int(removed or 0)

    def store_with_effect(self, conn: Connection, held: Held, response: StoredResponse) -> bool:
        """Store the answer in the effect's transaction (`conn`), marking the key effected with it."""
        return bool(conn.execute(_STORE_WITH_EFFECT, self._sealed(held.scope_key, response, held.token)).rowcount)

    # ---- sealing ---------------------------------------------------------------------

    def _sealed(self, scope_key: str, response: StoredResponse, token: str | None) -> dict[str, Any]:
        values = {
            "k_scope": scope_key,
            "state": "done",
            "status_code": response.status_code,
            "content_type": response.content_type,
            "body": self._sealer.encrypt_bytes(response.body, _purpose(scope_key)),
            "key_id": self._sealer.current_key_id,
            "claim_token": None,
            "lease_until": None,
        }
        if token is not None:
            values["k_token"] = token
        return values

    def _store(self, conn: Connection, scope_key: str, response: StoredResponse, *, token: str | None = None) -> bool:
        values = self._sealed(scope_key, response, token)
        return bool(conn.execute(_STORE if token is None else _STORE_HELD, values).rowcount)

    def _open(self, row: Row[tuple[object, ...]]) -> StoredResponse:
        blob = bytes(row.body or b"")
        body = blob if row.key_id == CLEAR else self._sealer.decrypt_bytes(row.key_id, blob, _purpose(row.scope_key))
        return StoredResponse(row.status_code, row.content_type or "application/json", body)

    def rotate(self) -> int:
        """Re-seal every stored answer not under the current key (clear ones included); returns how many."""
        rewritten = 0
        after = ""
        current = self._sealer.current_key_id
        while True:
            with own_transaction(), self._uow() as uow:
                rows = uow.conn.execute(
                    select(idempotency_key.c.scope_key, idempotency_key.c.key_id, idempotency_key.c.body)
                    .where(idempotency_key.c.scope_key > after)
                    .where(idempotency_key.c.state == "done")
                    .order_by(idempotency_key.c.scope_key)
                    .limit(ROTATE_BATCH)
                ).all()
                for row in rows:
                    if row.key_id == current:
                        continue
                    blob = bytes(row.body or b"")
                    purpose = _purpose(row.scope_key)
                    clear = blob if row.key_id == CLEAR else self._sealer.decrypt_bytes(row.key_id, blob, purpose)
                    uow.conn.execute(
                        update(idempotency_key)
                        .where(idempotency_key.c.scope_key == row.scope_key)
                        .where(idempotency_key.c.key_id == row.key_id)
                        .values(body=self._sealer.encrypt_bytes(clear, purpose), key_id=current)
                    )
                    rewritten += 1
                uow.commit()
            if len(rows) < ROTATE_BATCH:
                return rewritten
            after = rows[-1].scope_key

    def verify(self) -> list[BodyProblem]:
        """Stored answers that no configured key opens, or that are still in clear."""
        found: list[BodyProblem] = []
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(idempotency_key.c.scope_key, idempotency_key.c.key_id, idempotency_key.c.body).where(
                    idempotency_key.c.state == "done"
                )
            )
            for row in rows:
                if row.key_id == CLEAR:
                    found.append(BodyProblem(row.scope_key, "stored in clear; run `fairlend users rotate-pii-keys`"))
                    continue
                try:
                    self._sealer.decrypt_bytes(row.key_id, bytes(row.body or b""), _purpose(row.scope_key))
                except Exception as exc:  # the vault's own error type lives in identity, which db never imports
                    found.append(BodyProblem(row.scope_key, f"the stored answer does not open: {exc}"))
        return found


def _purpose(scope_key: str) -> str:
    return "idempotency:" + scope_key
