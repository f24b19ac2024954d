"""A cap on request bodies, checked before any route or middleware buffers one.

Every body is read into memory somewhere (the idempotency store hashes it, a
reporting file is validated whole), so an unbounded upload is a way to exhaust
the server. A declared Content-Length over the cap is refused at once; a body
that streams past it is cut off. Either way the caller gets 413 problem+json.
A request that carries no body at all (a read) passes without either check.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairlend.api.problems import problem

HTTP1 = ("1.0", "1.1")


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers and scope.get("http_version") in HTTP1:
            # HTTP/1.x frames a body by one of these two headers: a request with neither has none
            # (RFC 9112, 6.3), so a read passes untouched. HTTP/2 has no such rule and is counted.
            await self.app(scope, receive, send)
            return
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise BodyTooLarge
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge:
            if started:  # too late for a clean answer; let the server close the connection
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mb = self.max_bytes / (1024 * 1024)
        detail = f"request bodies are at most {limit_mb:g} MB; split a reporting file into several"
        await problem(413, "request_too_large", detail, instance=scope["path"])(scope, receive, send)
