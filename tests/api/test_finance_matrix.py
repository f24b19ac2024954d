"""Who may read and close the books: finance operators, nobody else (not a borrower, a collector, an admin).

The tables are read by tests/reliability/test_security_routes.py, which fails on a route in no table.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fairlend.api.auth import FINANCE_OFFICERS
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from tests.api.test_authorization_matrix import Endpoint, _check, _check_pages, _json
from tests.conftest import FakeAuthenticator
from tests.finance.conftest import finance_only, seed_book

F = "/api/v1/finance"
FINANCE = [
    Endpoint("GET", F + "/statements?month=2026-03", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/lines?types=interest_income&currency=CNY&month=2026-03", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/classification?month=2026-03", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/provisions?month=2026-03", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/provisions/loans?month=2026-03", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/closes", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/close/{month}", FINANCE_OFFICERS, False),
    Endpoint("POST", F + "/close/{month}", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/reopen-requests", FINANCE_OFFICERS, False),
    Endpoint("POST", F + "/reopen-requests", FINANCE_OFFICERS, False, _json({"month": "2026-03", "reason": "late invoice"})),
    Endpoint("POST", F + "/reopen-requests/{req}/refuse", FINANCE_OFFICERS, False),
    Endpoint("POST", F + "/reopen-requests/{req}/approve", FINANCE_OFFICERS, False),
    Endpoint("GET", F + "/export?through=2026-03-31", FINANCE_OFFICERS, False),
]  # fmt: skip
FINANCE_PAGES = [
    Endpoint("GET", "/operator/finance", FINANCE_OFFICERS, False),
    Endpoint(
        "GET", "/operator/finance/lines?types=loan_principal&currency=CNY&end=2026-03-31", FINANCE_OFFICERS, False
    ),
    Endpoint("GET", "/operator/finance/provisions", FINANCE_OFFICERS, False),
    Endpoint("GET", "/operator/finance/provisions/loans?month=2026-03&segment=normal", FINANCE_OFFICERS, False),
    Endpoint("GET", "/operator/finance/close", FINANCE_OFFICERS, False),
    Endpoint("GET", "/operator/finance/export?through=2026-03-31", FINANCE_OFFICERS, False),
]


@pytest.fixture
def container(container: Container) -> Container:
    return finance_only(container)


def _seeded(container: Container, clock: FixedClock) -> dict[str, str]:
    """March closed by another finance operator, who asks to reopen it."""
    seed_book(container, clock, 40, loans=5)  # 2026-03-02 .. 2026-04-10
    container.finance.closing.close("2026-03", "op_seed")
    made = container.finance.closing.request_reopen("2026-03", "op_seed", "a late invoice")
    return {"req": made.id, "month": "2026-03"}


def test_the_books_answer_finance_operators_and_refuse_every_other_caller(
    container: Container, clock: FixedClock, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    assert _check(api, fake_auth, FINANCE, _seeded(container, clock)) == []


def test_the_finance_pages_open_for_finance_operators_only(
    container: Container, clock: FixedClock, api: TestClient
) -> None:
    assert _check_pages(container, api, FINANCE_PAGES, _seeded(container, clock)) == []
