"""Forms that act once: a key minted with the form, claimed before the effect, replayed after it.

A double click, a browser retry or a form submitted again after a lost answer
must not pay twice, invest twice or call someone twice. The key is scoped to the
signed-in principal and the action, and claimed in the idempotency store like
an API Idempotency-Key: the same key with the same request answers the first
result and runs nothing; with another request it is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from fairlend.bootstrap import Container
from fairlend.db.idempotency import Claim, StoredResponse
from fairlend.errors import DomainError, Invalid
from fairlend.identity.model import Principal

FIELD = "form_key"
# What a resubmitted form answers when its effect took place and the answer was lost: nothing to replay.
ANSWER_LOST = StoredResponse(303, "text/plain", b"")


def new_form_key() -> str:
    """Minted per drawing of a form: the same form submitted twice carries the same key."""
    return secrets.token_urlsafe(24)


def once(container: Container, who: Principal, action: str, key: str, request: str, run: Callable[[], str]) -> str:
    """Run `run` once per (principal, action, key); returns its result, or the first run's on a replay.

    `request` names what was asked (a changed amount under the same key is refused). Refusals:
    `payment_key_invalid`, `payment_key_reused`, `payment_in_progress` (DomainError codes).
    """
    if not key or len(key) > 128 or not key.isascii():
        raise Invalid("payment_key_invalid", "reload the page and submit the form again")
    scope = hashlib.sha256(f"web:{action}\n{who.subject_id}\n{key}".encode()).hexdigest()
    store = container.idempotency
    claimed = store.claim(scope, hashlib.sha256(request.encode()).hexdigest(), lost=ANSWER_LOST)
    if claimed.outcome is Claim.REPLAY and claimed.stored is not None:
        return claimed.stored.body.decode()
    if claimed.held is None:
        code = "payment_key_reused" if claimed.outcome is Claim.MISMATCH else "payment_in_progress"
        raise DomainError(code, "this form was already submitted")
    held = claimed.held
    try:
        with store.effects(held):
            done = run()
    except BaseException:
        store.fail(held, lost=ANSWER_LOST)  # nothing took effect: the same form may be corrected and sent again
        raise
    store.complete(held, StoredResponse(303, "text/plain", done.encode()))
    return done
