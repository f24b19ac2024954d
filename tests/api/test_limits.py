"""Request bodies have a ceiling: a bigger one is 413 problem+json and leaves nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
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
