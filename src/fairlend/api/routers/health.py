"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from fairlend import __version__
from fairlend.api.deps import ContainerDep
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


@router.get("/health", response_model=HealthPublic)
def health(container: ContainerDep) -> HealthPublic:
    problem = container.database_problem()
    if problem:
        raise DatabaseUnavailable("database_unavailable", f"the database does not answer: {problem}")
    return HealthPublic(
        status="ok",
        version=__version__,
        database=container.engine.dialect.name,
        jurisdiction=container.profile.code,
        business_date=container.clock.business_date().isoformat(),
    )
