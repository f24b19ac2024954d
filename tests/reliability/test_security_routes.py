"""Every route the application serves, API and pages, is classified; an unclassified one fails here.

A route is covered when it is in one of the authorization matrices (its
allowed roles, owner and anonymous caller are tried there), or it is listed
below as public, as the bureau's (an institution's key), or as development
only, each with the reason. Adding a route without adding it to one of those
fails `test_every_route_is_classified`; a classification whose route is gone
fails too, so the lists stay true. Each class is then held to what it claims:
the bureau's routes refuse a call without an institution's key (and a person's
bearer token is not one), public routes answer an anonymous caller, and the
development routes are absent in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.identity.model import Role
from tests.api import test_analytics_matrix as analytics_matrix
from tests.api import test_authorization_matrix as matrix
from tests.api import test_autoinvest_matrix as autoinvest_matrix
from tests.api import test_ecsp_matrix as ecsp_matrix
from tests.api import test_finance_matrix as finance_matrix
from tests.api import test_hardship_matrix as hardship_matrix
from tests.api import test_identity_matrix as identity_matrix
from tests.api import test_secondary_matrix as secondary_matrix
from tests.api.identity_helpers import token_for
from tests.reliability.test_security_forms import FORMS

pytestmark = pytest.mark.backends("sqlite")

# Anyone may call these: signing up and in, the documentation, health, the pages that sign people in.
PUBLIC = {
    ("GET", "/api/v1/health"): "load balancers ask it",
    ("GET", "/openapi.json"): "the API's description",
    ("GET", "/api/docs"): "the API reference page",
    ("GET", "/favicon.ico"): "browsers ask for it on every page",
    ("POST", "/api/v1/auth/otp"): "asks for a one-time code (limited per number)",
    ("POST", "/api/v1/auth/sign-up"): "needs a one-time code",
    ("POST", "/api/v1/auth/tokens"): "log-in; needs a one-time code",
    ("POST", "/api/v1/auth/operator-tokens"): "operator log-in; needs a password and a TOTP code",
    (
        "POST",
        "/api/v1/collections/contact-persons/{}/confirm",
    ): "a contact person has no account; needs the code sent to them",
    ("GET", "/"): "the home page",
    ("GET", "/signup"): "the sign-up page",
    ("GET", "/login"): "the log-in page",
    ("GET", "/operator/login"): "the operators' log-in page",
    ("MOUNT", "/static"): "stylesheets, scripts and fonts from the package",
}
# Development and test only: `create_app` leaves them out in production (checked below).
DEV_ONLY = {
    ("GET", "/api/v1/dev/one-time-codes"): "the development SMS sender's last codes",
    ("GET", "/dev/codes"): "the same, as a page",
}
# The credit bureau is another institution: its callers authenticate with `Authorization: ApiKey ...`.
BUREAU = {(m, p) for m, p in [
    ("POST", "/api/v1/bureau/files"),
    ("POST", "/api/v1/bureau/records"),
    ("POST", "/api/v1/bureau/inquiries"),
    ("POST", "/api/v1/bureau/self-queries"),
    ("POST", "/api/v1/bureau/disputes"),
    ("GET", "/api/v1/bureau/disputes"),
    ("GET", "/api/v1/bureau/disputes/open-check"),
    ("POST", "/api/v1/bureau/disputes/{}/answer"),
    ("POST", "/api/v1/bureau/notices/query"),
]}  # fmt: skip


def _shape(path: str) -> str:
    """A path with every parameter as {} (the matrices name them {loan}, the routes {loan_id}), no query."""
    return re.sub(r"\{[^}]*\}", "{}", path.partition("?")[0])


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path shape) of every route the application answers; mounts as ("MOUNT", path)."""
    found: set[tuple[str, str]] = set()

    def add(methods: Iterable[str] | None, path: str) -> None:
        found.update((m, _shape(path)) for m in methods or () if m != "HEAD")

    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)  # an included router (FastAPI >= 0.16x)
        if callable(contexts):
            for context in contexts():
                add(context.methods, context.path)
        elif isinstance(route, Mount):
            found.add(("MOUNT", route.path))
        else:
            add(getattr(route, "methods", None), getattr(route, "path", ""))
    return found


def _matrix_routes() -> Iterator[tuple[str, str]]:
    tables = (
        matrix.LENDING,
        matrix.SCORING_AND_ORIGINATION,
        matrix.COLLECTIONS,
        matrix.PAGES,
        matrix.INVESTOR_PAGES,
        secondary_matrix.SECONDARY,
        secondary_matrix.SECONDARY_PAGES,
    )
    for endpoint in (e for table in (*tables, matrix.MARKET) for e in table):
        yield endpoint.method, _shape(endpoint.path)
    for endpoint in (*autoinvest_matrix.AUTOINVEST, *autoinvest_matrix.AUTOINVEST_PAGES):
        yield endpoint.method, _shape(endpoint.path)
    for endpoint in (*ecsp_matrix.ECSP, *ecsp_matrix.ECSP_PAGES):
        yield endpoint.method, _shape(endpoint.path)
    for endpoint in (*hardship_matrix.HARDSHIP, *hardship_matrix.HARDSHIP_PAGES):
        yield endpoint.method, _shape(endpoint.path)
    for endpoint in (*finance_matrix.FINANCE, *finance_matrix.FINANCE_PAGES):
        yield endpoint.method, _shape(endpoint.path)
    for endpoint in analytics_matrix.ANALYTICS_PAGES:
        yield endpoint.method, _shape(endpoint.path)
    for identity_endpoint in identity_matrix.ENDPOINTS:
        yield identity_endpoint.method, _shape(identity_endpoint.path)
    for path, _roles in identity_matrix.PAGES:
        yield "GET", _shape(path)
    for form in FORMS:
        yield "POST", _shape(form.path)


def _classified() -> dict[tuple[str, str], str]:
    classes: dict[tuple[str, str], str] = {}
    for key in _matrix_routes():
        classes[key] = "matrix"
    for key in PUBLIC:
        classes[key] = "public"
    for key in DEV_ONLY:
        classes[key] = "development"
    for key in BUREAU:
        classes[key] = "bureau"
    return classes


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container=container)


def test_every_route_is_classified(app: FastAPI) -> None:
    served = served_routes(app)
    classified = _classified()
    unclassified = sorted(served - set(classified))
    assert unclassified == [], (
        "add each route to an authorization matrix (tests/api/test_authorization_matrix.py, "
        "tests/api/test_identity_matrix.py, tests/reliability/test_security_forms.py) or, "
        "with a reason, to PUBLIC / DEV_ONLY / BUREAU here"
    )
    assert sorted(set(classified) - served) == [], "a classified route no longer exists"
    assert len(served) >= 120  # the walk found the routes, not an empty app


def test_a_route_in_no_list_fails_the_classification(app: FastAPI) -> None:
    """The oracle bites: a route added to the app without a classification is reported."""

    @app.get("/api/v1/unclassified")
    def unclassified() -> dict[str, str]:
        return {}

    assert ("GET", "/api/v1/unclassified") in served_routes(app) - set(_classified())


def test_every_bureau_route_refuses_a_call_without_an_institutions_key(app: FastAPI, container: Container) -> None:
    person = token_for(container, Role.ADMIN, "op_admin")
    attempts: dict[str, dict[str, str]] = {
        "no credential": {},
        "a person's bearer token": person,
        "an unknown key": {"Authorization": "ApiKey not-a-key"},
        "an empty key": {"Authorization": "ApiKey "},
    }
    wrong: list[str] = []
    with TestClient(app) as client:
        for method, shape in sorted(BUREAU):
            path = shape.replace("{}", "x")
            for label, headers in attempts.items():
                got = client.request(method, path, headers=headers, json={}, params={"institution_id": "x"})
                code = got.json().get("code") if "json" in got.headers.get("content-type", "") else None
                if got.status_code != 401 or code not in ("api_key_required", "invalid_api_key"):
                    wrong.append(f"{method} {shape} with {label}: {got.status_code} {code}")
    assert wrong == []


def test_public_routes_answer_an_anonymous_caller(app: FastAPI) -> None:
    with TestClient(app) as client:
        for method, shape in sorted(PUBLIC):
            if method != "GET":
                continue  # the POSTs need bodies; tests/api/test_identity.py drives them anonymously
            got = client.get(shape, follow_redirects=False)
            assert got.status_code == 200, (shape, got.status_code)


def test_development_routes_do_not_exist_in_production(tmp_path: Any, clock: FixedClock) -> None:
    settings = Settings(
        environment="production",
        database_url=f"sqlite:///{tmp_path}/prod.db",
        data_dir=tmp_path,
        secret_key="a-production-secret-key-0123456789",
        pii_keys="k1:" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU=",
        blind_index_key="a-production-index-key",
    )
    served = served_routes(create_app(settings))
    assert sorted(set(DEV_ONLY) & served) == []
    assert ("GET", "/api/v1/health") in served
