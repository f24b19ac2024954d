"""Mount the pages on the application: every context's page router and the static files."""

from __future__ import annotations

import importlib
from importlib import resources

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from fairlend.bootstrap import Container
from fairlend.web import errors
from fairlend.web.rendering import PageRedirect

# Each module exposes `router` (and, for development-only pages, `dev_router`).
# A context adds its page module here with one line.
PAGE_MODULES = (
    "fairlend.web.identity",
    "fairlend.web.collections",
    "fairlend.web.contact_persons",
    "fairlend.web.collector",
    "fairlend.web.compliance",
    "fairlend.web.compliance_disputes",
    "fairlend.web.lending",
    "fairlend.web.eod",
    "fairlend.web.origination",
    "fairlend.web.underwriting",
    "fairlend.web.investor",
    "fairlend.web.investor_autoinvest",
    "fairlend.web.investor_secondary",
    "fairlend.web.investor_ecsp",
    "fairlend.web.hardship",
    "fairlend.web.hardship_desk",
    "fairlend.web.finance",
    "fairlend.web.finance_close",
    "fairlend.web.analytics",
)


def mount_web(app: FastAPI, container: Container) -> None:
    """The pages and their static files, all served from the package (no CDN).

    Called after api/problems.py installed its handlers: errors on pages then answer in HTML,
    and everything under /api/ still answers problem+json (web/errors.py)."""
    routers: list[APIRouter] = []

    @app.exception_handler(PageRedirect)
    async def _redirect_to(request: Request, exc: PageRedirect) -> Response:
        return RedirectResponse(exc.location, status_code=303)

    for name in PAGE_MODULES:
        module = importlib.import_module(name)
        routers.append(module.router)
        dev_pages: APIRouter | None = getattr(module, "dev_router", None)
        if dev_pages is not None and container.settings.environment != "production":
            routers.append(dev_pages)
    for router in routers:
        app.include_router(router)
    errors.install(app, container, routers)
    static = resources.files("fairlend.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    favicon = str(static.joinpath("favicon.ico"))

    # Browsers ask for /favicon.ico whatever the page links; answer it rather than 404.
    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> FileResponse:
        return FileResponse(favicon, media_type="image/x-icon")
