"""Money from outside is exact and written in ASCII digits, on every route that takes an amount.

"1.005" yuan was rounded to 1.01 and "１２" (full-width digits) was twelve yuan: Python's
Decimal takes both. Each is refused now with a stable code, and nothing is posted.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.lending.tables import loan_repayment
from tests.api.identity_helpers import PDF, api_sign_up
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def loan(api: TestClient, fake_auth: FakeAuthenticator, container: Container) -> dict[str, Any]:
    container.lending.products.define(BASE)
    response = api.post(
        "/api/v1/loans",
        json={"borrower_id": "brw_a", "product_code": "cash-12", "amount": "10000.00"},
        headers={**fake_auth.headers(Role.UNDERWRITER, "op_u"), "Idempotency-Key": "book"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _repayments(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(loan_repayment)).scalar_one())


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1.005", "amount_too_precise"),
        ("0.001", "amount_too_precise"),
        ("１２", "amount_invalid"),
        ("١٢", "amount_invalid"),
        ("1e2", "amount_invalid"),
        (" 12", "amount_invalid"),
        ("NaN", "amount_invalid"),
        (12.5, "amount_invalid"),
        ("100000000000000000000", "amount_out_of_range"),
    ],
)
def test_a_repayment_amount_that_is_not_exact_ascii_money_is_refused_and_posts_nothing(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, loan: dict[str, Any], amount: object, code: str
) -> None:
    response = api.post(
        f"/api/v1/loans/{loan['id']}/repayments",
        json={"amount": amount},
        headers={**fake_auth.headers(Role.BORROWER, "brw_a"), "Idempotency-Key": f"pay-{amount!a}"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert _repayments(container) == 0


@pytest.mark.parametrize(
    ("amount", "minor"), [("12", 1200), ("12.3", 1230), ("12.30", 1230), ("12.300", 1230), (12, 1200)]
)
def test_an_exact_amount_is_taken_however_many_zeros_follow(
    api: TestClient,
    fake_auth: FakeAuthenticator,
    container: Container,
    loan: dict[str, Any],
    amount: object,
    minor: int,
) -> None:
    response = api.post(
        f"/api/v1/loans/{loan['id']}/repayments",
        json={"amount": amount},
        headers={**fake_auth.headers(Role.BORROWER, "brw_a"), "Idempotency-Key": "pay"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["amount"]["minor"] == minor


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/quotes", {"product_code": "cash-12", "amount": "１０００"}),
        ("/api/v1/origination/prequalify", {"amount": "30000.005", "term_months": 12}),
        ("/api/v1/origination/prequalify", {"amount": "30000", "term_months": 12, "stated_monthly_income": "８000"}),
        ("/api/v1/scoring/what-if", {"pay_revolving": "10.001"}),
    ],
)
def test_every_route_that_takes_money_refuses_inexact_or_non_ascii_amounts(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, path: str, body: dict[str, Any]
) -> None:
    container.lending.products.define(BASE)
    response = api.post(path, json=body, headers=fake_auth.headers(Role.BORROWER, "brw_a"))
    assert response.status_code == 422, response.text
    assert response.json()["code"] in ("amount_invalid", "amount_too_precise")


@pytest.mark.parametrize(("amount", "code"), [("８５００", "amount_invalid"), ("8500.005", "amount_too_precise")])
def test_a_certificate_amount_is_exact_ascii_money(api: TestClient, amount: str, code: str) -> None:
    borrower = api_sign_up(api)
    response = api.post(
        f"/api/v1/people/{borrower['subject_id']}/certificates",
        data={"kind": "salary_flow", "amount": amount},
        files={"file": ("flow.pdf", PDF, "application/pdf")},
        headers=borrower["headers"],
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


def test_the_openapi_document_says_amounts_are_decimal_text(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()["components"]["schemas"]["RepaymentCreate"]["properties"]["amount"]
    assert {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}.items() <= schema["anyOf"][0].items()
