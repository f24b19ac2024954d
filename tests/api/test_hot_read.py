"""`GET /loans/{id}` resolves its credential with one plain call (api.auth.hot_read), not `Depends`:
it must refuse every bad credential exactly as the routes that take `Authenticated` do, and the
OpenAPI document must describe it as before."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.api.identity_helpers import token_for
from tests.lending.conftest import BASE

BORROWER = "brw_hot"


def _problem(response: Any) -> tuple[int, str, dict[str, Any]]:
    body = response.json()
    body.pop("instance", None)  # the path asked for: differs between the two routes by design
    return response.status_code, response.headers["content-type"], body


def _bad_credentials(container: Container, clock: FixedClock) -> dict[str, dict[str, str]]:
    good = token_for(container, Role.BORROWER, BORROWER)["Authorization"]
    expired = token_for(container, Role.BORROWER, BORROWER)
    revoked = token_for(container, Role.BORROWER, BORROWER)
    container.identity.sessions.log_out(revoked["Authorization"].removeprefix("Bearer "))
    clock.advance(timedelta(hours=1, seconds=1))  # `expired` (issued an hour ago) is past its TTL now
    fresh = token_for(container, Role.BORROWER, BORROWER)["Authorization"]
    assert fresh != good
    return {
        "missing": {},
        "another scheme": {"Authorization": fresh.replace("Bearer", "Basic", 1)},
        "a scheme without a token": {"Authorization": "Bearer "},
        "garbled": {"Authorization": fresh[:-3] + "xyz"},
        "not a token at all": {"Authorization": "Bearer not.a.token"},
        "expired": expired,
        "logged out": revoked,
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "another scheme",
        "a scheme without a token",
        "garbled",
        "not a token at all",
        "expired",
        "logged out",
    ],
)
def test_a_loan_read_refuses_each_bad_credential_with_the_same_problem_as_an_authenticated_route(
    api: TestClient, container: Container, clock: FixedClock, case: str
) -> None:
    container.lending.products.define(BASE)
    loan_id = container.lending.book_loan(BORROWER, "cash-12", Money.of("1000", "CNY"))
    headers = _bad_credentials(container, clock)[case]
    hot = api.get(f"/api/v1/loans/{loan_id}", headers=headers)
    # `GET /borrowers/{id}/loans` takes `Authenticated` through FastAPI's dependencies.
    resolved = api.get(f"/api/v1/borrowers/{BORROWER}/loans", headers=headers)
    assert hot.status_code == 401
    assert hot.headers["content-type"].startswith("application/problem+json")
    assert _problem(hot) == _problem(resolved)


def test_a_loan_read_answers_the_owner_and_refuses_another_borrower_as_before(
    api: TestClient, container: Container
) -> None:
    container.lending.products.define(BASE)
    loan_id = container.lending.book_loan(BORROWER, "cash-12", Money.of("1000", "CNY"))
    mine = api.get(f"/api/v1/loans/{loan_id}", headers=token_for(container, Role.BORROWER, BORROWER))
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/json"
    assert mine.json()["id"] == loan_id and mine.json()["borrower_id"] == BORROWER
    theirs = api.get(f"/api/v1/loans/{loan_id}", headers=token_for(container, Role.BORROWER, "brw_other"))
    assert theirs.status_code == 403 and theirs.json()["code"] == "not_yours"
    officer = api.get(f"/api/v1/loans/{loan_id}", headers=token_for(container, Role.UNDERWRITER, "op_u"))
    assert officer.status_code == 200 and officer.content == mine.content
    missing = api.get("/api/v1/loans/ln_nothing", headers=token_for(container, Role.UNDERWRITER, "op_u"))
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


def test_the_openapi_document_describes_the_loan_read_as_before(api: TestClient) -> None:
    """The route takes the `Request` now: no parameter of it may leak into the document, and the
    answers (the loan, the credential's 401 and 403 problems) are still declared."""
    document = api.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/loans/{loan_id}"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [("loan_id", "path", True)]
    assert "requestBody" not in operation
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/LoanPublic"}
    for status in ("401", "403", "404"):
        answer = operation["responses"][status]["content"]["application/problem+json"]["schema"]
        assert answer == {"$ref": "#/components/schemas/Problem"}
    # Declared the same way as the routes that authenticate through `Depends` (none names a scheme).
    sibling = document["paths"]["/api/v1/borrowers/{borrower_id}/loans"]["get"]
    assert operation.get("security") == sibling.get("security")
