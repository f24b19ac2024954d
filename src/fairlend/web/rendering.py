"""What every page shares: templates, locale, the signed-in principal, CSRF, redirects.

Other contexts' page modules import from here. Who may see a page is decided
with the same policy sets as the API (api/auth.py); a page never reads tables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.identity.model import OPERATOR_ROLES, Principal, Role
from fairlend.web import i18n, session

_environment = Environment(loader=PackageLoader("fairlend.web", "templates"), autoescape=select_autoescape())
templates = Jinja2Templates(env=_environment)

# Everything comes from this server (no CDN, no inline script); pages are never framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class PageRedirect(Exception):
    """Raised by a page that needs someone signed in (or someone else)."""

    def __init__(self, location: str) -> None:
        self.location = location


def locale_of(request: Request, container: Container) -> str:
    return (
        i18n.normalise(request.query_params.get("lang"))
        or i18n.normalise(request.cookies.get(i18n.COOKIE))
        or i18n.from_accept_language(request.headers.get("accept-language", ""))
        or i18n.normalise(container.profile.locale)
        or i18n.DEFAULT
    )


def zone_of(who: Principal | None, container: Container) -> ZoneInfo:
    """The zone a page shows times in: the signed-in person's own, else the profile's."""
    if who is not None and not who.is_operator:
        try:
            return ZoneInfo(container.identity.person(who.subject_id).timezone)
        except DomainError:  # an error page for a session whose person is gone still renders
            pass
    return ZoneInfo(container.profile.timezone)


def local_time(zone: ZoneInfo, moment: datetime | None, *, seconds: bool = False) -> str:
    """`2026-03-02 10:00 (UTC+08:00)`: a stored instant in the reader's zone, with the zone shown."""
    if moment is None:
        return ""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
    offset = local.strftime("%z")
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} (UTC{offset[:3]}:{offset[3:]})"


def _risk_warning(container: Container, locale: str) -> str:
    """The marketplace's own profile (a test may wire a market with its own) says what investors are warned."""
    profile = container.market.profile if container.market is not None else container.profile
    text = profile.marketplace.investors.risk_warning
    return text.zh if locale.startswith("zh") else text.en


def language_link(request: Request, code: str) -> str:
    """The page the reader is on, in another language: its query (filters, a page number) kept, `lang` replaced."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return "?" + urlencode([*kept, ("lang", code)])


def render(
    request: Request, container: Container, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    locale = locale_of(request, container)
    t = i18n.Translator(locale)
    who = session.principal(request, container)
    zone = zone_of(who, container)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "locale": locale,
            "locales": i18n.LOCALES,
            "language_link": partial(language_link, request),
            "who": who,
            "csrf_field": session.CSRF_FIELD,
            "csrf_token": session.csrf_token(request),
            "dev": container.settings.environment != "production",
            "when": partial(local_time, zone),
            "zone": zone.key,
            # MK-3, MK-6: investors are told on every page that neither principal nor return is promised.
            "risk_warning": _risk_warning(container, locale),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") and i18n.normalise(request.query_params.get("lang")):
        response.set_cookie(i18n.COOKIE, locale, max_age=365 * 86400, samesite="lax", path="/")
    session.remember_csrf(request, response, container)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_text(request: Request, container: Container, exc: DomainError) -> str:
    t = i18n.Translator(locale_of(request, container))
    key = f"error.{exc.code}"
    return t(key) if t.has(key) else exc.detail


def require(request: Request, container: Container, allowed: Callable[[Principal], bool], login: str) -> Principal:
    who = session.principal(request, container)
    if who is None:
        raise PageRedirect(login)
    if not allowed(who):
        raise PageRedirect("/?denied=1")
    return who


def borrower(request: Request, container: Container) -> Principal:
    return require(request, container, lambda p: p.role is Role.BORROWER, "/login?role=borrower")


def person(request: Request, container: Container) -> Principal:
    return require(request, container, lambda p: not p.is_operator, "/login")


def operator(request: Request, container: Container, roles: frozenset[Role] = OPERATOR_ROLES) -> Principal:
    return require(request, container, lambda p: p.role in roles, "/operator/login")


def check_csrf(request: Request, submitted: str | None) -> None:
    if not session.csrf_ok(request, submitted):
        raise PageRedirect("/?csrf=1")


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


Csrf = Annotated[str | None, Form(alias=session.CSRF_FIELD)]
