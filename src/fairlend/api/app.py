"""`create_app(settings)`: the one place the HTTP application is assembled."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request

from fairlend import __version__
from fairlend.api import docs, openapi, problems
from fairlend.api.auth import bearer_owner
from fairlend.api.idempotency import IdempotencyMiddleware, IdempotentAnswer, OwnerCheck, answer_handler, claim_key
from fairlend.api.limits import BodySizeLimit
from fairlend.api.reads import runner_for
from fairlend.api.routers import autoinvest as autoinvest_routes
from fairlend.api.routers import certificates as certificate_routes
from fairlend.api.routers import collections, collectors, complaints, health, identity, loan_changes
from fairlend.api.routers import finance as finance_routes
from fairlend.api.routers import hardship as hardship_routes
from fairlend.api.routers import lending as lending_router
from fairlend.api.routers import market as market_routes
from fairlend.api.routers import market_ecsp as market_ecsp_routes
from fairlend.api.routers import operators as operator_routes
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


def owner_of(container: Container, request: Request) -> OwnerCheck | None:
    """Who an Authorization header stands for now, as the owner of idempotency keys.

    A person's or an operator's id for a bearer token (however many tokens they hold), a
    bureau member's institution for an API key; None for no header or one that does not
    authenticate now (forged, expired, logged out, revoked), so a stored answer is never
    replayed to a credential that no longer works. A bearer token's revocation is read by the
    returned check, as the first statement of the claim's own transaction (api/idempotency.py).
    """
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        check = bearer_owner(request, value) if value else None
        if check is None:
            return None

        def subject(conn: Any) -> str | None:
            principal = check(conn)
            return None if principal is None else f"subject:{principal.subject_id}"

        return subject
    bureau_service = getattr(container.bureau, "service", None)  # the in-process bureau answers /bureau
    if scheme.lower() == "apikey" and value and isinstance(bureau_service, BureauService):
        try:
            institution = f"institution:{bureau_service.authenticate(value).institution_id}"
        except DomainError:
            return None
        return lambda _conn: institution
    return None


def api_routers(settings: Settings) -> list[tuple[APIRouter, str]]:
    """The API's routers and their prefixes, in the order a request tries them.

    A request walks the routes until one matches (about 2 µs a route: 0.4 ms for one near the end
    of 220), so the busiest come first: the lending calls a borrower makes, then the rest of the
    API; the pages come after all of them. No request path matches routes of two of these routers
    (tests/api/test_app.py holds it), so their order changes the time to match and nothing else.
    """
    routers = [
        health.router,
        lending_router.router,
        identity.router,
        certificate_routes.router,
        operator_routes.router,
        origination_routes.router,
        scoring_routes.router,
        market_routes.router,
        autoinvest_routes.router,
        secondary_routes.router,
        market_ecsp_routes.router,
        repayment_files_router.router,
        loan_changes.router,
        hardship_routes.router,
        collections.router,
        complaints.router,
        collectors.router,
        finance_routes.router,
    ]
    if settings.environment != "production":
        routers.append(identity.dev_router)
    return [(router, API_PREFIX) for router in routers] + [(bureau_router, API_PREFIX + "/bureau")]


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
    # Where the request path's blocking reads run, decided once for this database (api/reads.py).
    app.state.read_runner = runner_for(container.settings)
    app.state.idempotency_owner = partial(owner_of, container)
    problems.install(app)
    health.install(app, container)
    app.add_middleware(IdempotencyMiddleware, store=container.idempotency)
    # Added last, so it runs first: nothing buffers a body before its size is known to be allowed.
    app.add_middleware(BodySizeLimit, max_bytes=container.settings.max_request_mb * 1024 * 1024)
    for router, prefix in api_routers(container.settings):
        app.include_router(router, prefix=prefix)
    mount_web(app, container)
    app.add_exception_handler(IdempotentAnswer, answer_handler)
    openapi.install(app)
    docs.install(app)
    return app
