"""`Idempotency-Key` for every mutating API call, in one place.

A replay of a key with the same method, path and body returns the stored
answer and changes nothing; the same key with a different request is refused
with 422. Keys are scoped to the caller's credential. Responses of 5xx are
not stored, so the caller may retry them with the same key.
"""

from __future__ import annotations

import hashlib
import json

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairlend.api.problems import PROBLEM_JSON
from fairlend.db.idempotency import Claim, IdempotencyStore, StoredResponse

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255


def _problem(status: int, code: str, detail: str) -> tuple[int, bytes]:
    body = {
        "type": f"https://fairlend.dev/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
    }
    return status, json.dumps(body).encode()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: IdempotencyStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
            await _send(
                send,
                *_problem(400, "idempotency_key_invalid", "Idempotency-Key must be 1-255 ASCII characters"),
                PROBLEM_JSON,
            )
            return

        parts: list[bytes] = []  # joined once: += on bytes copies the whole body per chunk
        more = True
        while more:
            message = await receive()
            parts.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(parts)

        credential = headers.get(b"authorization", b"") + b"\n" + headers.get(b"cookie", b"")
        scope_key = hashlib.sha256(hashlib.sha256(credential).digest() + b"\n" + key).hexdigest()
        request_hash = hashlib.sha256(
            b"\n".join([scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()

        claim, stored = await to_thread.run_sync(self.store.claim, scope_key, request_hash)
        if claim is Claim.REPLAY and stored is not None:
            await _send(send, stored.status_code, stored.body, stored.content_type, replayed=True)
            return
        if claim is Claim.MISMATCH:
            await _send(
                send,
                *_problem(422, "idempotency_key_reused", "this Idempotency-Key was used with a different request"),
                PROBLEM_JSON,
            )
            return
        if claim is Claim.IN_PROGRESS:
            await _send(
                send,
                *_problem(
                    409,
                    "idempotency_request_in_progress",
                    "a request with this Idempotency-Key is still being processed; retry later",
                ),
                PROBLEM_JSON,
            )
            return

        status = 500
        content_type = "application/json"
        chunks: list[bytes] = []

        async def replay_body() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await to_thread.run_sync(self.store.release, scope_key)
            raise
        if status >= 500:
            await to_thread.run_sync(self.store.release, scope_key)
        else:
            await to_thread.run_sync(
                self.store.complete, scope_key, StoredResponse(status, content_type, b"".join(chunks))
            )


async def _send(send: Send, status: int, body: bytes, content_type: str, *, replayed: bool = False) -> None:
    headers = [(b"content-type", content_type.encode("latin-1")), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
