"""Who may read the portfolio's analytics: the analysts (underwriting, compliance, finance, admin), nobody else.

Not a borrower or an investor, and not a collector: the page ranks collectors by blocked attempts.
The table is read by tests/reliability/test_security_routes.py, which fails on a route in no table.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from fairlend.api.auth import ANALYSTS
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.api.test_authorization_matrix import Endpoint, _check_pages

ANALYTICS_PAGES = [
    Endpoint("GET", "/operator/analytics", ANALYSTS, False),
    Endpoint("GET", "/operator/analytics?from=2026-01-01&to=2026-03-01&grade=B", ANALYSTS, False),
]


def test_the_analytics_page_opens_for_analysts_only(container: Container, api: TestClient) -> None:
    assert Role.COLLECTOR not in ANALYSTS and Role.BORROWER not in ANALYSTS
    assert _check_pages(container, api, ANALYTICS_PAGES, {}) == []
