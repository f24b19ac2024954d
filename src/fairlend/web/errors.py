"""Errors on pages answer in HTML, in the reader's language; everything under /api/ keeps problem+json.

FastAPI checks a form's fields before the page handler runs, so a missing or
unreadable field never reaches the handler's own error handling (which
re-renders its form with the message). Nor do a path with no page (404), a
method a page does not take (405), a DomainError no page caught, or a crash.
Without this module each of those reached a browser as problem+json in English.

`install` replaces the API's handlers (api/problems.py) with ones that look at
the path: under /api/ (and /openapi.json) they call the problem+json functions
unchanged; anywhere else they render `error.html` with the page's status, the
security headers every page sends, and a link back. A form error names each
field in the catalogs' words (`field.<name>` in locales/*/common.json) and never
echoes what was typed. It does not re-render the form itself: the handler, and
with it the sign-in, ownership and CSRF checks that drawing the form needs, has
not run, so the page links back to the form instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response
from starlette.routing import Match

from fairlend.api import problems
from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.web import i18n
from fairlend.web.rendering import SECURITY_HEADERS, error_text, locale_of, render

# Statuses with a heading of their own in the catalogs (`problem.title.<status>`); others use `.other`.
TITLED = frozenset({400, 403, 404, 405, 409, 413, 422, 429, 500})
# What a browser gets if even the error page cannot be drawn (the database is down, say).
BARE_500 = (
    '<!doctype html><html><head><meta charset="utf-8"><title>500 · fairlend</title></head>'
    "<body><p>Something went wrong on our side. It has been logged; please try again later.</p>"
    '<p>系统内部出错，已记录，请稍后再试。</p><p><a href="/">fairlend</a></p></body></html>'
)


def is_page(path: str) -> bool:
    """Everything but the HTTP API and its OpenAPI document is a page, read by a person in a browser."""
    return not (path == "/api" or path.startswith("/api/") or path == "/openapi.json")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    name: str  # the form field, as the route declares it
    missing: bool  # absent or empty, rather than present and unreadable


def field_problems(exc: RequestValidationError) -> list[FieldProblem]:
    """One entry per field, in the order FastAPI found them; a whole-body error has an empty name."""
    found: dict[str, FieldProblem] = {}
    for error in exc.errors():
        loc = [part for part in error.get("loc", ()) if isinstance(part, str)]
        name = loc[-1] if loc and loc[-1] not in ("body", "query", "path", "header", "cookie") else ""
        missing = error.get("type") == "missing"
        if name not in found:
            found[name] = FieldProblem(name, missing)
        elif found[name].missing and not missing:  # an unreadable value says more than "missing"
            found[name] = FieldProblem(name, False)
    return list(found.values())


def field_sentences(t: i18n.Translator, found: Iterable[FieldProblem]) -> list[str]:
    sentences = []
    for problem in found:
        if not problem.name:
            sentences.append(t("problem.form.unreadable"))
            continue
        key = f"field.{problem.name}"
        # A field without a catalog name (a form added since) is still named, by its form name.
        label = t(key) if t.has(key) else problem.name
        sentences.append(t("problem.form.missing" if problem.missing else "problem.form.invalid", field=label))
    return sentences


def _safe_local(path: str) -> bool:
    """A path on this site: not `//host` nor `/\\host`, which browsers read as another site."""
    return path.startswith("/") and not path.startswith(("//", "/\\")) and is_page(path)


def _drawable(pages: Sequence[APIRoute], path: str) -> bool:
    """Whether a GET of `path` reaches one of the pages."""
    scope = {"type": "http", "path": path, "method": "GET"}
    return any(route.matches(scope)[0] is Match.FULL for route in pages)


def back_link(request: Request, pages: Sequence[APIRoute]) -> str:
    """Where "back" goes: the page of this site the browser came from (Referer, which pages send
    same-origin only) when a GET can draw it again, else the nearest page at or above the path of a
    form's POST (above, for a failed GET), else home."""
    reading = request.method in ("GET", "HEAD")
    referer = urlsplit(request.headers.get("referer", ""))
    if (
        referer.netloc == request.url.netloc
        and _safe_local(referer.path)
        and not (reading and referer.path == request.url.path)
        and _drawable(pages, referer.path)
    ):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    segments = request.url.path.rstrip("/").split("/")
    for end in range(len(segments) - 1 if reading else len(segments), 1, -1):
        candidate = "/".join(segments[:end])
        if _safe_local(candidate) and _drawable(pages, candidate):
            return quote(candidate, safe="/")
    return "/"


def error_page(
    request: Request,
    container: Container,
    pages: Sequence[APIRoute],
    status: int,
    *,
    message: str | None = None,
    fields: Sequence[str] = (),
    form: bool = False,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    t = i18n.Translator(locale_of(request, container))
    heading = t(f"problem.title.{status}" if status in TITLED else "problem.title.other")
    response = render(
        request,
        container,
        "error.html",
        status_code=status,
        heading=heading,
        message=message,
        fields=fields,
        form=form,
        back=back_link(request, pages),
    )
    response.headers.update(headers or {})
    return response


def _http_message(t: i18n.Translator, status: int) -> str:
    if status == 404:
        return t("problem.not_found")
    if status == 405:
        return t("problem.method_not_allowed")
    return t("problem.http", status=status)


def install(app: FastAPI, container: Container, routers: Iterable[APIRouter]) -> None:
    """Replace the problem+json handlers installed by api/problems.py (so call this after it).

    `routers` are the page routers: their GET routes are where a "back" link may lead."""
    pages = [r for router in routers for r in router.routes if isinstance(r, APIRoute) and "GET" in (r.methods or ())]

    def _invalid_form(request: Request, exc: RequestValidationError) -> HTMLResponse:
        t = i18n.Translator(locale_of(request, container))
        sentences = field_sentences(t, field_problems(exc))
        return error_page(request, container, pages, 422, message=t("problem.form.lead"), fields=sentences, form=True)

    def _refused(request: Request, exc: DomainError) -> HTMLResponse:
        retry_after = exc.extra.get("retry_after")
        headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
        return error_page(
            request, container, pages, exc.status, message=error_text(request, container, exc), headers=headers
        )

    def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        t = i18n.Translator(locale_of(request, container))
        message = _http_message(t, exc.status_code)
        return error_page(request, container, pages, exc.status_code, message=message, headers=dict(exc.headers or {}))

    def _crashed(request: Request) -> Response:
        try:
            t = i18n.Translator(locale_of(request, container))
            return error_page(request, container, pages, 500, message=t("problem.internal"))
        except Exception:  # the page needs what just failed; answer without it
            problems.log.exception("the error page failed too on %s %s", request.method, request.url.path)
            return HTMLResponse(BARE_500, status_code=500, headers=SECURITY_HEADERS)

    # Pages render in the thread pool like the page handlers: drawing one may read the session from the database.
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if not is_page(request.url.path):
            return problems.validation_problem(request, exc)
        return await run_in_threadpool(_invalid_form, request, exc)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if not is_page(request.url.path):
            return problems.domain_problem(request, exc)
        return await run_in_threadpool(_refused, request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_page(request.url.path):
            return problems.http_problem(request, exc)
        return await run_in_threadpool(_http, request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if not is_page(request.url.path):
            return problems.unexpected_problem(request, exc)
        problems.log_unexpected(request, exc)
        return await run_in_threadpool(_crashed, request)
