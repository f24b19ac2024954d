"""`create_app(settings)`: the one place the HTTP application is assembled."""

from __future__ import annotations

from fastapi import FastAPI

from fairlend import __version__
from fairlend.api import problems
from fairlend.api.idempotency import IdempotencyMiddleware
from fairlend.api.routers import health
from fairlend.api.routers import lending as lending_router
from fairlend.bootstrap import Container, bootstrap
from fairlend.config import Settings
from fairlend.db.idempotency import IdempotencyStore

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    container = container or bootstrap(settings or Settings())
    app = FastAPI(
        title="fairlend",
        version=__version__,
        summary="Online lending that cannot harass: loans, a credit bureau, fair collections.",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.container = container
    problems.install(app)
    app.add_middleware(IdempotencyMiddleware, store=IdempotencyStore(container.uow, container.clock))
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(lending_router.router, prefix=API_PREFIX)
    return app
