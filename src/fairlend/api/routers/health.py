"""Liveness and readiness.

`GET /health` is asked often (every load balancer and probe) and must not cost
the database a query each time nor a trip through the thread pool: it answers
from a check of the database (a `SELECT 1` and the business date) at most
`business_date_refresh_seconds` old, the age of the business date the server
works with anyway. A stale answer is checked again on the thread pool by one
caller; the callers that come meanwhile take the answer before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from anyio import to_thread
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel

from fairlend import __version__
from fairlend.api.deps import ContainerDep
from fairlend.api.responses import model_response
from fairlend.bootstrap import Container
from fairlend.errors import DomainError

router = APIRouter(tags=["health"])


class DatabaseUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


class HealthPublic(BaseModel):
    status: str
    version: str
    database: str
    jurisdiction: str
    business_date: str


@dataclass(frozen=True, slots=True)
class Checked:
    problem: str | None
    business_date: str
    at: float


class DatabaseProbe:
    """The database's last answer, checked again once it is older than `max_age` seconds."""

    def __init__(
        self, container: Container, max_age: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._container = container
        self._max_age = max_age
        self._monotonic = monotonic
        self._last: Checked | None = None
        self._checking = False

    def _check(self) -> Checked:
        problem = self._container.database_problem()
        today = "" if problem else self._container.clock.business_date().isoformat()
        return Checked(problem, today, self._monotonic())

    def _fresh(self) -> Checked | None:
        last = self._last
        return last if last is not None and self._monotonic() - last.at < self._max_age else None

    async def check(self) -> Checked:
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        if self._checking and self._last is not None:
            return self._last  # one caller checks again; the others take the answer before it
        self._checking = True
        try:
            fresh = self._last = await to_thread.run_sync(self._check)
        finally:
            self._checking = False
        return fresh


def install(app: FastAPI, container: Container) -> None:
    """Give the app its probe (`create_app`)."""
    app.state.health_probe = DatabaseProbe(container, container.settings.business_date_refresh_seconds)


@router.get("/health", response_model=HealthPublic)
async def health(request: Request, container: ContainerDep) -> Response:
    probe: DatabaseProbe = request.app.state.health_probe
    checked = await probe.check()
    if checked.problem:
        raise DatabaseUnavailable("database_unavailable", f"the database does not answer: {checked.problem}")
    return model_response(
        HealthPublic(
            status="ok",
            version=__version__,
            database=container.engine.dialect.name,
            jurisdiction=container.profile.code,
            business_date=checked.business_date,
        )
    )
