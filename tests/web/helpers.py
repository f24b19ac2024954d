"""What the page tests share: signing a principal in through the session cookie, the CSRF token, and charts drawn."""

from __future__ import annotations

import importlib
import re
from urllib.parse import quote

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from playwright.sync_api import ConsoleMessage, Page

from fairlend.bootstrap import Container
from fairlend.identity.model import Principal, Role
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.web.app import PAGE_MODULES
from fairlend.web.session import SESSION_COOKIE

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(api: TestClient, container: Container, subject_id: str, role: Role) -> Principal:
    """A session for `subject_id` in `role`, as identity's log-in would start it."""
    who = Principal(subject_id, role)
    token, _ = container.identity.tokens.issue(who, WEB_SESSION_TTL)
    api.cookies.set(SESSION_COOKIE, token)
    return who


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"the form has a {name} field"
    return found.group(1)


def denied(response: object) -> bool:
    location = getattr(response, "headers", {}).get("location", "")
    return getattr(response, "status_code", 0) == 303 and location == "/?denied=1"


def page_post_routes() -> list[APIRoute]:
    """Every page route that takes a form, read from the page routers (pages are not in the OpenAPI)."""
    return [
        route
        for name in PAGE_MODULES
        for route in importlib.import_module(name).router.routes
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]


def page_path(route: APIRoute, value: str = "x") -> str:
    """The route's path with every path parameter set to `value` (quoted)."""
    path = route.path
    for param in route.dependant.path_params:
        path = path.replace("{" + param.name + "}", quote(value, safe="") or "x")
    return path


def charts_not_drawn(page: Page) -> list[str]:
    """The ids of the chart boxes with no drawing, or without a table right under them."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.chart')).filter(el => {
              const drawn = el.querySelector('svg, canvas') !== null && el.dataset.drawn === '1';
              const under = el.nextElementSibling;  // <details> with the chart's table
              const table = under && under.tagName === 'DETAILS' ? under.querySelector('table') : null;
              return !(drawn && table && table.querySelectorAll('tr').length > 1);
           }).map(el => el.id)"""
    )


def console_errors(page: Page) -> list[str]:
    """The errors the page logs from now on (console errors and uncaught exceptions), as they arrive."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
