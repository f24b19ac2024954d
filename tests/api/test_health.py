"""Health answers from a database check at most `business_date_refresh_seconds` old, and says so when it fails."""

from __future__ import annotations

import asyncio
from datetime import date
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.api.routers.health import DatabaseProbe
from fairlend.bootstrap import Container
from tests.api.problems import refusal


class FlakyDatabase:
    """A container's database: answers or not, counting how often it is asked."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self.asked = 0
        self.clock = SimpleNamespace(business_date=lambda: date(2026, 3, 2))

    def database_problem(self) -> str | None:
        self.asked += 1
        return self.problem


def test_a_fresh_answer_is_reused_and_a_stale_one_checked_again() -> None:
    database, now = FlakyDatabase(), [100.0]
    probe = DatabaseProbe(database, 1.0, monotonic=lambda: now[0])  # type: ignore[arg-type]
    assert asyncio.run(probe.check()).problem is None
    now[0] += 0.9
    assert asyncio.run(probe.check()).business_date == "2026-03-02"
    assert database.asked == 1
    database.problem = "OperationalError"
    now[0] += 0.2
    assert asyncio.run(probe.check()).problem == "OperationalError"
    assert database.asked == 2


def test_no_age_means_every_call_checks() -> None:
    database = FlakyDatabase()
    probe = DatabaseProbe(database, 0.0)  # type: ignore[arg-type]
    for _ in range(3):
        asyncio.run(probe.check())
    assert database.asked == 3


@pytest.mark.backends("sqlite")
def test_a_database_that_does_not_answer_is_a_503_problem(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.settings, "business_date_refresh_seconds", 0.0)
    with TestClient(create_app(container=container), raise_server_exceptions=False) as api:
        assert api.get("/api/v1/health").status_code == 200
        monkeypatch.setattr(container, "database_problem", lambda: "OperationalError")
        answer = api.get("/api/v1/health")
    assert refusal(answer) == (503, "database_unavailable")
    assert "OperationalError" in answer.json()["detail"]
