"""The request's side of an `Idempotency-Key` claim: its vocabulary and the commit hooks of its effect.

Step 2 of db/idempotency.py's protocol: while a request holds a claim, every unit of
work that commits marks the key `effected` in its own transaction (`EffectGuard`,
set as `db.uow.commit_hook`), or stores the request's answer with the effect where
the route gives it there (`answer_with_effect`). The mark matches the claim's fencing
token, so a request whose claim was taken over commits nothing (`ClaimLost`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Connection, bindparam, update

from fairlend.db.tables import idempotency_key
from fairlend.db.uow import commit_hook
from fairlend.errors import Conflict
from fairlend.faults import crash_point

_K = idempotency_key.c


class Claim(enum.Enum):
    NEW = "new"  # this request holds the key now (fresh, or taken over from an expired claim)
    REPLAY = "replay"  # the stored answer (or the `lost` answer) is the answer
    MISMATCH = "mismatch"  # the key was used with a different request
    IN_PROGRESS = "in_progress"  # another attempt holds the key; retry after `retry_after` seconds


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Held:
    """A claim this process holds: the key and its fencing token."""

    scope_key: str
    token: str


@dataclass(frozen=True, slots=True)
class ClaimResult:
    outcome: Claim
    held: Held | None = None
    stored: StoredResponse | None = None
    retry_after: int = 0


class ClaimLost(Conflict):
    """The claim's lease ran out and another attempt took the key over: this one may not take effect."""


class AnswerStore(Protocol):
    """Where a guard stores an answer given with the effect (the `IdempotencyStore`)."""

    def store_with_effect(self, conn: Connection, held: Held, response: StoredResponse) -> bool: ...


_MARK_EFFECTED = (
    update(idempotency_key)
    .where(_K.scope_key == bindparam("k_scope"), _K.claim_token == bindparam("k_token"), _K.state == "pending")
    .values(effected=True)
)


@dataclass
class EffectGuard:
    """The commit hook of one claimed request (see the module docstring, step 2)."""

    held: Held
    store: AnswerStore
    effected: bool = field(default=False)
    # The answer given inside the effect's transaction, stored with it; `answered` once that committed.
    answer: StoredResponse | None = None
    answered: bool = field(default=False)

    def answer_with_effect(self, answer: StoredResponse) -> None:
        """Store `answer` as the key's answer in the transaction about to commit the effect."""
        self.answer = answer

    def before_commit(self, conn: Connection) -> None:
        if self.answered:
            raise RuntimeError("this request's answer is stored already: nothing may take effect after it")
        if self.answer is not None:
            marked = int(self.store.store_with_effect(conn, self.held, self.answer))
        else:
            marked = conn.execute(_MARK_EFFECTED, {"k_scope": self.held.scope_key, "k_token": self.held.token}).rowcount
        if marked != 1:
            raise ClaimLost(
                "idempotency_claim_lost",
                "this request ran past its Idempotency-Key lease and a retry took the key over; nothing was done",
            )

    def after_commit(self) -> None:
        self.effected = True
        self.answered = self.answer is not None
        crash_point("idempotency.after_effect")


@dataclass
class EffectSlot:
    """A commit hook set before the claim exists: the API claims after routing, inside the request.

    Until `hold` it marks nothing (a request that never claims, or whose commits come first,
    is not this key's effect); after it, it is the claim's `EffectGuard`.
    """

    guard: EffectGuard | None = None

    def hold(self, guard: EffectGuard) -> None:
        self.guard = guard

    @property
    def held(self) -> Held | None:
        return None if self.guard is None else self.guard.held

    @property
    def answered(self) -> StoredResponse | None:
        """The answer stored with the effect, once its transaction committed."""
        guard = self.guard
        return guard.answer if guard is not None and guard.answered else None

    def answer_with_effect(self, answer: StoredResponse) -> None:
        if self.guard is not None:  # no claim (no key, an anonymous call): there is nothing to answer
            self.guard.answer_with_effect(answer)

    def before_commit(self, conn: Connection) -> None:
        if self.guard is not None:
            self.guard.before_commit(conn)

    def after_commit(self) -> None:
        if self.guard is not None:
            self.guard.after_commit()


@contextmanager
def own_transaction() -> Iterator[None]:
    """The store's own writes are bookkeeping, not the request's effect: no commit hook marks them."""
    reset = commit_hook.set(None)
    try:
        yield
    finally:
        commit_hook.reset(reset)
