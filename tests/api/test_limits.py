"""Request bodies have a ceiling: a bigger one is 413 problem+json and leaves nothing written."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from fairlend.api.app import create_app
from fairlend.api.limits import BodySizeLimit
from fairlend.bootstrap import Container
from tests.api.problems import refusal
from tests.bureau.conftest import Records, lines

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def small_api(container: Container) -> Iterator[TestClient]:
    container.settings.max_request_mb = 1
    with TestClient(create_app(container=container), raise_server_exceptions=False) as client:
        yield client


def _headers(container: Container, **extra: str) -> dict[str, str]:
    assert container.bureau is not None
    return {"Authorization": f"ApiKey {container.bureau.register_institution('Bank A').api_key}", **extra}


def _submissions(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM bureau_submission")).scalar_one())


def _big_file() -> bytes:
    records = Records("BIG")
    return lines(records.opened(date(2026, 1, 5)), *[records.status(date(2026, 1, 31)) for _ in range(8_000)])


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(
    container: Container, small_api: TestClient
) -> None:
    body = _big_file()
    assert len(body) > 1024 * 1024
    sent = small_api.post("/api/v1/bureau/files", content=body, headers=_headers(container, **{"Idempotency-Key": "k"}))
    assert refusal(sent) == (413, "request_too_large")
    assert sent.json()["code"] == "request_too_large" and "1 MB" in sent.json()["detail"]
    assert _submissions(container) == 0


def test_a_streamed_body_that_grows_past_the_limit_is_cut_off(container: Container, small_api: TestClient) -> None:
    body = _big_file()

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    sent = small_api.post("/api/v1/bureau/files", content=chunks(), headers=_headers(container))
    assert sent.status_code == 413 and sent.json()["code"] == "request_too_large"
    assert _submissions(container) == 0


def test_a_body_under_the_limit_goes_through(container: Container, small_api: TestClient) -> None:
    records = Records("OK")
    sent = small_api.post(
        "/api/v1/bureau/files", content=lines(records.opened(date(2026, 1, 5))), headers=_headers(container)
    )
    assert sent.status_code == 200 and sent.json()["applied"] == 1
    assert _submissions(container) == 1


# -- reads pass untouched; everything that may carry a body is still counted ------------------


def _drive(http_version: str, method: str, headers: list[tuple[bytes, bytes]], body_chunks: int) -> tuple[int, int]:
    """BodySizeLimit (1 KB) around an app that reads the whole body: (status answered, bytes the app read)."""
    read = 0

    async def reader(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal read
        more = True
        while more:
            message = await receive()
            read += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    chunks = [
        {"type": "http.request", "body": b"x" * 512, "more_body": n < body_chunks - 1} for n in range(body_chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "http_version": http_version, "method": method, "path": "/api/v1/x", "headers": headers}
    asyncio.run(BodySizeLimit(reader, max_bytes=1024)(scope, receive, send))
    return int(sent[0]["status"]), read


def test_a_read_without_a_body_passes_untouched() -> None:
    assert _drive("1.1", "GET", [], 1) == (200, 512)  # what little the server would hand over is not counted


@pytest.mark.parametrize("http_version", ["1.1", "2"])
def test_a_chunked_body_on_a_read_is_still_cut_off(http_version: str) -> None:
    status, read = _drive(http_version, "GET", [(b"transfer-encoding", b"chunked")], 10)
    assert status == 413 and read <= 1024


def test_an_http2_body_without_any_length_is_still_counted() -> None:
    # HTTP/2 frames bodies itself: no header says a request has none, so none is taken on trust.
    status, read = _drive("2", "POST", [], 10)
    assert status == 413 and read <= 1024


def test_a_declared_length_over_the_limit_on_a_read_is_refused_unread() -> None:
    assert _drive("1.1", "GET", [(b"content-length", b"5120")], 10) == (413, 0)
