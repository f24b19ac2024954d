"""`Idempotency-Key` for every mutating API call, in one place (docs/api.md, "Idempotency").

Who owns a key: the principal the credential stands for (a person's or an
operator's id, a bureau member's institution) together with the method and
the path. The same operator signed in twice, with two tokens, shares keys;
two people never do. A call without a valid credential (anonymous sign-in
calls, a forged, expired or revoked token) is not idempotent: the key is
ignored and the route answers as it would without one (a 401 where a token
is needed). A stored answer may hold personal data, so it is only ever
replayed to a caller whose credential is good now.

What counts as the same request: the validated request, not its bytes. The
body is validated against the route's own schema and compared in a canonical
form (`fingerprint.py`): fields in any order, "1.0" and "1.00" as an amount,
omitted defaults, are the same request; "007" and "7" as a string are not.

Crash safety is db/idempotency.py's: the claim has a lease, the effect marks
the key in its own transaction (`db.uow.commit_hook`, set here for the span of
the request), and the answer is stored before a byte of it is sent. A route
that can render its answer inside its effect's transaction (`AnswerWithEffect`:
a repayment) has it stored there, with the effect: one write fewer, and no
window in which the effect is made and its answer lost. Two parts
work together because the claim must come after routing and validation but
before the route's effect: the middleware reads the body, owns the response
(buffered, stored, then sent) and cleans up; the `claim_key` dependency, which
FastAPI runs before every route's own dependencies, claims the key and
answers a replay, a mismatch or "in progress" itself.

Crash points (`fairlend.faults`): `idempotency.after_claim`,
`idempotency.after_effect` (db/idempotency.py), `idempotency.before_store`,
`idempotency.after_store`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from anyio import CancelScope, to_thread
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairlend.api.fingerprint import request_fingerprint
from fairlend.api.problems import PROBLEM_JSON, problem_bytes
from fairlend.db.idempotency import Claim, ClaimResult, EffectSlot, IdempotencyStore, StoredResponse
from fairlend.db.uow import commit_hook
from fairlend.faults import crash_point

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
REPLAYED = "Idempotent-Replayed"
log = logging.getLogger("fairlend.api")

# What a retry gets once the first attempt took effect but its answer was lost to a crash
# or a failure on our side: the request is never carried out a second time.
RESPONSE_LOST = StoredResponse(
    409,
    PROBLEM_JSON,
    problem_bytes(
        409,
        "idempotency_response_lost",
        "the request sent with this Idempotency-Key took effect, but its answer was lost to a failure on our "
        "side; it will not be carried out again: read the resource to see the result",
    ),
)

# Who owns a request's keys (api/app.py's `owner_of`): None for an anonymous call or a credential
# that fails without I/O (forged, expired); else the check run as the first statement of the claim's
# own transaction (on its connection), naming the owner, or None once the credential fails there
# (a revoked token): one transaction for the claim and the revocation read, not two.
OwnerCheck = Callable[[Any], "str | None"]
OwnerOf = Callable[[Request], "OwnerCheck | None"]


@dataclass
class KeyedRequest:
    """One mutating request that carries a key, from the middleware to the route and back."""

    key: str
    body: bytes
    decided: bool = False
    # The commit hook for the span of the request; it marks the key once `claim_key` holds it.
    effects: EffectSlot = field(default_factory=EffectSlot)


_keyed: ContextVar[KeyedRequest | None] = ContextVar("fairlend_keyed_request", default=None)


class IdempotentAnswer(Exception):
    """Raised by `claim_key` when the answer is not the route's to give: a replay, a mismatch, in progress."""

    def __init__(self, answer: StoredResponse, *, replayed: bool = False, retry_after: int = 0) -> None:
        super().__init__(answer.status_code)
        self.answer = answer
        self.replayed = replayed
        self.retry_after = retry_after

    def response(self) -> Response:
        headers = {REPLAYED: "true"} if self.replayed else {}
        if self.retry_after:
            headers["Retry-After"] = str(self.retry_after)
        return Response(
            self.answer.body, status_code=self.answer.status_code, media_type=self.answer.content_type, headers=headers
        )


async def answer_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, IdempotentAnswer):  # registered for IdempotentAnswer alone
        raise exc
    return exc.response()


def scope_key(principal: str, method: str, path: str, key: str) -> str:
    return hashlib.sha256("\n".join(("v2", principal, method, path, key)).encode()).hexdigest()


async def claim_key(request: Request) -> None:
    """App-wide dependency: claim the request's key once the route and its body schema are known."""
    keyed = _keyed.get()
    if keyed is None or keyed.decided:
        return
    keyed.decided = True
    fingerprint = await request_fingerprint(request, keyed.body)
    # Who owns the key and the claim itself in one trip to the thread pool (each trip costs ~0.1 ms).
    result = await run_in_threadpool(_claim, request, keyed.key, fingerprint)
    if result is None:
        return  # anonymous or a credential that no longer works: not idempotent, the route decides
    if result.outcome is Claim.NEW and result.held is not None:
        keyed.effects.hold(request.app.state.container.idempotency.guard(result.held))
        crash_point("idempotency.after_claim")
        return
    if result.outcome is Claim.REPLAY and result.stored is not None:
        raise IdempotentAnswer(result.stored, replayed=True)
    if result.outcome is Claim.MISMATCH:
        raise IdempotentAnswer(
            _problem(422, "idempotency_key_reused", "this Idempotency-Key was used with a different request")
        )
    raise IdempotentAnswer(
        _problem(
            409,
            "idempotency_request_in_progress",
            f"a request with this Idempotency-Key is still being processed; retry in {result.retry_after} s",
            retry_after=result.retry_after,
        ),
        retry_after=result.retry_after,
    )


T = TypeVar("T")


class AnswerWithEffect(Generic[T]):
    """A route's answer, rendered inside its effect's transaction and stored there as the key's answer.

    Pass it to a service that calls it with its result just before it commits (`repay_as(then=...)`);
    return `response` afterwards. With a claimed key, the commit that makes the effect also stores
    this answer (db/idempotency.py), so the middleware has nothing left to write; without one
    (no key, an anonymous call) it only renders.
    """

    __slots__ = ("_render", "_response")

    def __init__(self, render: Callable[[T], Response]) -> None:
        self._render = render
        self._response: Response | None = None

    def __call__(self, result: T) -> None:
        response = self._render(result)
        self._response = response
        keyed = _keyed.get()
        if keyed is not None:
            content_type = response.headers.get("content-type", "application/json")
            keyed.effects.answer_with_effect(StoredResponse(response.status_code, content_type, bytes(response.body)))

    @property
    def response(self) -> Response:
        if self._response is None:
            raise RuntimeError("the service did not give its result to the answer")
        return self._response


def _claim(request: Request, key: str, fingerprint: str) -> ClaimResult | None:
    owner_of: OwnerOf = request.app.state.idempotency_owner
    owner = owner_of(request)
    if owner is None:
        return None
    store: IdempotencyStore = request.app.state.container.idempotency
    method, path = request.method, request.url.path
    return store.claim_as(owner, lambda who: scope_key(who, method, path, key), fingerprint, lost=RESPONSE_LOST)


def _problem(status: int, code: str, detail: str, **extra: object) -> StoredResponse:
    return StoredResponse(status, PROBLEM_JSON, problem_bytes(status, code, detail, **extra))


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: IdempotencyStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        key = dict(scope["headers"]).get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
            detail = "Idempotency-Key must be 1-255 ASCII characters"
            await _send(send, StoredResponse(400, PROBLEM_JSON, problem_bytes(400, "idempotency_key_invalid", detail)))
            return

        parts: list[bytes] = []  # joined once: += on bytes copies the whole body per chunk
        more = True
        while more:
            message = await receive()
            parts.append(message.get("body", b""))
            more = message.get("more_body", False)
        keyed = KeyedRequest(key.decode("ascii"), b"".join(parts))

        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            # Nothing reaches the client before the answer is stored: a crash in between must not
            # leave a client holding an answer the store never saw.
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        keyed_token = _keyed.set(keyed)
        hook_token = commit_hook.set(keyed.effects)
        try:
            await self.app(scope, _replaying(keyed.body, receive), buffer)
        except Exception as exc:
            failed = keyed.effects.held
            if failed is None:
                raise
            with CancelScope(shield=True):
                lost = await to_thread.run_sync(lambda: self.store.fail(failed, lost=RESPONSE_LOST))
            if lost is None:
                raise  # nothing took effect and the key is free again: a plain 500, retry with the same key
            log.error("request failed after it took effect on %s %s", scope["method"], scope["path"], exc_info=exc)
            await _send(send, lost)
            return
        finally:  # cancelled (shutdown, a client gone) too: whatever is left, the lease settles
            commit_hook.reset(hook_token)
            _keyed.reset(keyed_token)

        held = keyed.effects.held
        if held is None or start is None:
            await _flush(send, start, chunks)
            return
        stored = keyed.effects.answered
        if stored is not None:
            # Stored with the effect: nothing to write. The client gets what a retry would get.
            body = b"".join(chunks)
            if int(start["status"]) == stored.status_code and body == stored.body:
                await _flush(send, start, [body])
            else:
                await _send(send, stored)
            return
        status = int(start["status"])
        if status >= 500:
            lost = await to_thread.run_sync(lambda: self.store.fail(held, lost=RESPONSE_LOST))
            if lost is not None:
                await _send(send, lost)
                return
            await _flush(send, start, chunks)
            return
        content_type = "application/json"
        for name, value in start.get("headers", []):
            if name.lower() == b"content-type":
                content_type = value.decode("latin-1")
        crash_point("idempotency.before_store")
        answer = StoredResponse(status, content_type, b"".join(chunks))
        await to_thread.run_sync(self.store.complete, held, answer)
        crash_point("idempotency.after_store")
        await _flush(send, start, chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body read already, then the connection's own messages (a disconnect, when it comes)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _flush(send: Send, start: Message | None, chunks: list[bytes]) -> None:
    if start is None:
        return
    await send(start)
    await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": False})


async def _send(send: Send, answer: StoredResponse) -> None:
    headers = [
        (b"content-type", answer.content_type.encode("latin-1")),
        (b"content-length", str(len(answer.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": answer.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
