"""`create_app(settings)`: the one place the HTTP application is assembled."""

from __future__ import annotations

from functools import partial

from fastapi import Depends, FastAPI

from fairlend import __version__
from fairlend.api import docs, openapi, problems
from fairlend.api.auth import principal_for
from fairlend.api.idempotency import IdempotencyMiddleware, IdempotentAnswer, answer_handler, claim_key
from fairlend.api.limits import BodySizeLimit
from fairlend.api.routers import autoinvest as autoinvest_routes
from fairlend.api.routers import collections, collectors, complaints, health, identity
from fairlend.api.routers import hardship as hardship_routes
from fairlend.api.routers import lending as lending_router
from fairlend.api.routers import market as market_routes
from fairlend.api.routers import market_ecsp as market_ecsp_routes
from fairlend.api.routers import origination as origination_routes
from fairlend.api.routers import repayment_files as repayment_files_router
from fairlend.api.routers import scoring as scoring_routes
from fairlend.api.routers import secondary as secondary_routes
from fairlend.bootstrap import Container, bootstrap
from fairlend.bureau.api import router as bureau_router
from fairlend.bureau.service import BureauService
from fairlend.config import Settings
from fairlend.errors import DomainError
from fairlend.web.app import mount_web

API_PREFIX = "/api/v1"


def principal_of(container: Container, authorization: str) -> str | None:
    """Who an Authorization header stands for now, as the owner of idempotency keys.

    A person's or an operator's id for a bearer token (however many tokens they hold), a
    bureau member's institution for an API key; None for no header or one that does not
    authenticate now (forged, expired, logged out, revoked), so a stored answer is never
    replayed to a credential that no longer works.
    """
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        principal = principal_for(container, value)
        return None if principal is None else f"subject:{principal.subject_id}"
    bureau_service = getattr(container.bureau, "service", None)  # the in-process bureau answers /bureau
    if scheme.lower() == "apikey" and value and isinstance(bureau_service, BureauService):
        try:
            return f"institution:{bureau_service.authenticate(value).institution_id}"
        except DomainError:
            return None
    return None


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    container = container or bootstrap(settings or Settings())
    app = FastAPI(
        title="fairlend",
        version=__version__,
        summary="Online lending that cannot harass: loans, a credit bureau, fair collections.",
        openapi_url="/openapi.json",
        docs_url=None,  # served from the package by api/docs.py, never from a CDN
        redoc_url=None,
        # Claims a request's Idempotency-Key after routing and validation, before any route's own
        # dependencies and before its effect (api/idempotency.py).
        dependencies=[Depends(claim_key)],
    )
    app.state.container = container
    app.state.idempotency_principal = partial(principal_of, container)
    problems.install(app)
    app.add_middleware(IdempotencyMiddleware, store=container.idempotency)
    # Added last, so it runs first: nothing buffers a body before its size is known to be allowed.
    app.add_middleware(BodySizeLimit, max_bytes=container.settings.max_request_mb * 1024 * 1024)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(bureau_router, prefix=API_PREFIX + "/bureau")
    app.include_router(identity.router, prefix=API_PREFIX)
    if container.settings.environment != "production":
        app.include_router(identity.dev_router, prefix=API_PREFIX)
    app.include_router(collections.router, prefix=API_PREFIX)
    app.include_router(complaints.router, prefix=API_PREFIX)
    app.include_router(hardship_routes.router, prefix=API_PREFIX)
    app.include_router(collectors.router, prefix=API_PREFIX)
    mount_web(app, container)
    app.add_exception_handler(IdempotentAnswer, answer_handler)
    openapi.install(app)
    docs.install(app)
    app.include_router(scoring_routes.router, prefix=API_PREFIX)
    app.include_router(origination_routes.router, prefix=API_PREFIX)
    app.include_router(lending_router.router, prefix=API_PREFIX)
    app.include_router(repayment_files_router.router, prefix=API_PREFIX)
    app.include_router(market_routes.router, prefix=API_PREFIX)
    app.include_router(autoinvest_routes.router, prefix=API_PREFIX)
    app.include_router(secondary_routes.router, prefix=API_PREFIX)
    app.include_router(market_ecsp_routes.router, prefix=API_PREFIX)
    return app
