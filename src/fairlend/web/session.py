"""Web sessions and CSRF protection.

The session cookie holds a bearer token from identity's `TokenService` (signed
with the secret key, expiring), HttpOnly and SameSite=Lax, Secure outside
development and test. Logging out revokes that token on the server, so a copy
of the cookie taken before stops working too (identity/sessions.py). Every
form carries a CSRF token: a random value in its own cookie, echoed in a hidden
field and compared on POST (double submit), on top of SameSite.
"""

from __future__ import annotations

import secrets
from typing import cast

from fastapi import Request
from starlette.responses import Response

from fairlend.bootstrap import Container
from fairlend.identity.model import Principal
from fairlend.identity.tokens import WEB_SESSION_TTL

SESSION_COOKIE = "fl_session"
CSRF_COOKIE = "fl_csrf"
CSRF_FIELD = "csrf_token"


def _secure(container: Container) -> bool:
    return container.settings.environment == "production"


def principal(request: Request, container: Container) -> Principal | None:
    """Who the session cookie stands for; looked up once per request (a page asks for access, then layout)."""
    if hasattr(request.state, "principal"):
        return cast(Principal | None, request.state.principal)
    token = request.cookies.get(SESSION_COOKIE)
    who = container.authenticator.authenticate(token) if token and container.authenticator is not None else None
    request.state.principal = who
    return who


def start(response: Response, container: Container, who: Principal) -> None:
    token, _ = container.identity.tokens.issue(who, WEB_SESSION_TTL)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(WEB_SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(container),
        path="/",
    )


def end(request: Request, response: Response, container: Container) -> None:
    """Revoke the session's token on the server, then drop the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        container.identity.sessions.log_out(token)
    response.delete_cookie(SESSION_COOKIE, path="/")


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one is set on the response by `remember_csrf`)."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and len(existing) >= 32:
        return existing
    fresh: str | None = getattr(request.state, "csrf_token", None)
    if fresh is None:
        fresh = secrets.token_urlsafe(32)
        request.state.csrf_token = fresh
    return fresh


def remember_csrf(request: Request, response: Response, container: Container) -> None:
    fresh = getattr(request.state, "csrf_token", None)
    if fresh:
        response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="lax", secure=_secure(container), path="/")


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = request.cookies.get(CSRF_COOKIE)
    return bool(expected and submitted and secrets.compare_digest(expected, submitted))
