"""Bad form input never gives a server error on a page.

Pages are not in the OpenAPI document, so schemathesis does not reach them.
This walks every POST page route, reads its form fields and path parameters
from the route itself, and posts generated values (empty, huge, negative,
non-numeric, unicode, injection-looking) as a borrower and as an admin, with a
valid CSRF pair so the handler, not the CSRF check, meets the input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.web.session import CSRF_COOKIE, CSRF_FIELD
from tests.web.helpers import page_path, page_post_routes, sign_in

pytestmark = pytest.mark.backends("sqlite")

NASTY = st.sampled_from(
    ["", " ", "0", "-1", "1e309", "NaN", "9" * 40, "0.001", "１２３", "'; DROP TABLE loan; --", "<script>", "\x00", "٣"]
)
VALUES = NASTY | st.text(max_size=40)
TOKEN = "c" * 43


@pytest.fixture
def pages(container: Container) -> Iterator[tuple[TestClient, list[APIRoute]]]:
    logger = logging.getLogger("fairlend.api")
    before, logger.disabled = logger.disabled, True  # each 500 would also log its traceback
    app = create_app(container=container)
    routes = [r for r in page_post_routes() if r.path != "/logout"]
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client, routes
    logger.disabled = before


def _form_fields(route: APIRoute) -> list[str]:
    return [p.alias for p in route.dependant.body_params if p.alias != CSRF_FIELD]


@pytest.mark.parametrize("role", [Role.BORROWER, Role.ADMIN, Role.FINANCE])
def test_no_page_form_gives_a_server_error_whatever_it_is_sent(
    container: Container, pages: tuple[TestClient, list[APIRoute]], role: Role
) -> None:
    client, routes = pages
    assert len(routes) >= 15, "every form page is walked"
    sign_in(client, container, "usr_fuzz" if role is Role.BORROWER else "op_fuzz", role)
    client.cookies.set(CSRF_COOKIE, TOKEN)
    failures: set[str] = set()
    for route in routes:
        _fuzz_route(client, route, failures)
    assert not failures, "\n".join(sorted(failures)[:10])


def _fuzz_route(client: TestClient, route: APIRoute, failures: set[str]) -> None:
    @settings(max_examples=12, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(values=st.fixed_dictionaries(dict.fromkeys(_form_fields(route), VALUES)), path_value=VALUES)
    def post(values: dict[str, str], path_value: str) -> None:
        sent = client.post(page_path(route, path_value), data={CSRF_FIELD: TOKEN, **values})
        if sent.status_code >= 500:
            failures.add(f"{route.path} {sorted(values.items())!r} -> {sent.status_code}")

    post()
