"""`create_app(settings)`: the one place the HTTP application is assembled."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from fairlend import __version__
from fairlend.api import problems
from fairlend.api.auth import principal_for
from fairlend.api.idempotency import IdempotencyMiddleware
from fairlend.api.limits import BodySizeLimit
from fairlend.api.routers import collections, health, identity
from fairlend.api.routers import lending as lending_router
from fairlend.api.routers import origination as origination_routes
from fairlend.api.routers import scoring as scoring_routes
from fairlend.bootstrap import Container, bootstrap
from fairlend.bureau.api import router as bureau_router
from fairlend.bureau.service import BureauService
from fairlend.config import Settings
from fairlend.db.idempotency import IdempotencyStore
from fairlend.errors import DomainError
from fairlend.web.app import mount_web

API_PREFIX = "/api/v1"


def credential_still_good(container: Container, authorization: bytes) -> bool:
    """Whether an Authorization header still authenticates (no header: an anonymous call, nothing to check)."""
    scheme, _, value = authorization.decode("latin-1").partition(" ")
    value = value.strip()
    if not scheme:
        return True
    if scheme.lower() == "bearer":
        return principal_for(container, value) is not None
    bureau_service = getattr(container.bureau, "service", None)  # the in-process bureau answers /bureau
    if scheme.lower() == "apikey" and isinstance(bureau_service, BureauService):
        try:
            bureau_service.authenticate(value)
        except DomainError:
            return False
        return True
    return False


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
    app.add_middleware(
        IdempotencyMiddleware,
        store=IdempotencyStore(container.uow, container.clock),
        credential_ok=partial(credential_still_good, container),
    )
    # Added last, so it runs first: nothing buffers a body before its size is known to be allowed.
    app.add_middleware(BodySizeLimit, max_bytes=container.settings.max_request_mb * 1024 * 1024)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(bureau_router, prefix=API_PREFIX + "/bureau")
    app.include_router(identity.router, prefix=API_PREFIX)
    if container.settings.environment != "production":
        app.include_router(identity.dev_router, prefix=API_PREFIX)
    app.include_router(collections.router, prefix=API_PREFIX)
    mount_web(app, container)
    app.include_router(scoring_routes.router, prefix=API_PREFIX)
    app.include_router(origination_routes.router, prefix=API_PREFIX)
    app.include_router(lending_router.router, prefix=API_PREFIX)
    return app
