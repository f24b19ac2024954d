"""Changes inside a schedule over HTTP: loan officers only, problem+json on bad input, nothing half-written."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE


@pytest.fixture
def loan_id(container: Container) -> str:
    container.lending.products.define(BASE)
    return container.lending.book_loan("brw_a", BASE.code, Money(1_000_000, "CNY"))


def _post(api: TestClient, fake_auth: FakeAuthenticator, path: str, body: dict[str, Any], key: str) -> Any:
    headers = {**fake_auth.headers(Role.UNDERWRITER, "op_u"), "Idempotency-Key": key}
    return api.post(path, json=body, headers=headers)


def test_a_rate_change_answers_the_new_terms_and_names_the_operator_in_its_event(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, loan_id: str
) -> None:
    response = _post(api, fake_auth, f"/api/v1/loans/{loan_id}/rate-changes", {"rate": "0.12", "reason": "x"}, "r1")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["installment"] == {"amount": "888.49", "minor": 88849, "currency": "CNY"}
    assert body["schedule_version"] == 2 and body["kind"] == "rate_change"
    assert container.lending.schedule_versions(loan_id)[0]["reference"] == "op_u"
    # A replay answers the first change; it does not make a third version.
    again = _post(api, fake_auth, f"/api/v1/loans/{loan_id}/rate-changes", {"rate": "0.12", "reason": "x"}, "r1")
    assert again.json() == body
    assert len(container.lending.schedule_versions(loan_id)) == 2


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("rate-changes", {"rate": "0.30"}, (403, "rate_above_cap")),
        ("rate-changes", {"rate": "-1"}, (422, "validation_error")),
        ("rate-changes", {"rate": "0.12", "effective": "2026-01-01"}, (422, "effective_date_out_of_range")),
        ("balance-corrections", {"reduce_by": "10000", "reason": "typo"}, (422, "correction_exceeds_principal")),
        ("balance-corrections", {"reduce_by": "0.001", "reason": "typo"}, (422, "amount_too_precise")),
        ("balance-corrections", {"reduce_by": "10"}, (422, "validation_error")),
    ],
)
def test_bad_input_is_a_problem_with_its_code_and_the_schedule_is_unchanged(
    api: TestClient,
    fake_auth: FakeAuthenticator,
    container: Container,
    loan_id: str,
    path: str,
    body: dict[str, Any],
    expected: tuple[int, str],
) -> None:
    response = _post(api, fake_auth, f"/api/v1/loans/{loan_id}/{path}", body, "bad-1")
    assert refusal(response) == expected
    assert len(container.lending.schedule_versions(loan_id)) == 1
    assert container.verify() == []


def test_a_borrower_cannot_change_their_own_loan_s_rate(
    api: TestClient, fake_auth: FakeAuthenticator, loan_id: str
) -> None:
    headers = {**fake_auth.headers(Role.BORROWER, "brw_a"), "Idempotency-Key": "b1"}
    response = api.post(f"/api/v1/loans/{loan_id}/rate-changes", json={"rate": "0.01"}, headers=headers)
    assert response.status_code == 403


def test_a_multi_disbursement_loan_is_booked_with_its_approved_amount_and_takes_a_tranche(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container
) -> None:
    container.lending.products.define(replace(BASE, code="staged", max_tranches=2))
    booked = _post(
        api,
        fake_auth,
        "/api/v1/loans",
        {"borrower_id": "brw_a", "product_code": "staged", "amount": "6000", "approved": "10000"},
        "book-staged",
    )
    assert booked.status_code == 201, booked.text
    loan = booked.json()["id"]
    assert (booked.json()["approved_amount"]["amount"], booked.json()["tranches"]) == ("10000.00", 1)
    paid = _post(api, fake_auth, f"/api/v1/loans/{loan}/tranches", {"amount": "4000"}, "t1")
    assert paid.status_code == 201, paid.text
    assert paid.json()["principal_outstanding"]["minor"] == 1_000_000
    assert paid.json()["installment"]["amount"] == "916.80"
    # The borrower's own view of the loan says what was approved and how much of it was paid out, when.
    shown = api.get(f"/api/v1/loans/{loan}", headers=fake_auth.headers(Role.BORROWER, "brw_a")).json()
    assert (shown["principal"]["minor"], shown["approved_amount"]["minor"], shown["tranches"]) == (
        1_000_000,
        1_000_000,
        2,
    )
    again = _post(api, fake_auth, f"/api/v1/loans/{loan}/tranches", {"amount": "1"}, "t2")
    assert refusal(again) == (409, "tranche_limit_reached")
    assert container.verify() == []


def test_a_multi_disbursement_loan_is_quoted_for_its_first_tranche_with_the_approved_amount_checked(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container
) -> None:
    container.lending.products.define(replace(BASE, code="staged", max_tranches=3))
    headers = fake_auth.headers(Role.BORROWER, "brw_a")
    quoted = api.post(
        "/api/v1/quotes", json={"product_code": "staged", "amount": "6000", "approved": "10000"}, headers=headers
    )
    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    assert body["approved"]["amount"] == "10000.00" and body["amount"]["amount"] == "6000.00"
    assert body["settings"]["max_tranches"] == 3 and body["apr_cap_rule"]
    # The first tranche's schedule is the single loan's of that amount: the same lines, the same APR.
    alone = api.post("/api/v1/quotes", json={"product_code": "staged", "amount": "6000"}, headers=headers).json()
    assert alone["approved"] is None
    assert (body["schedule"], body["apr"]) == (alone["schedule"], alone["apr"])
    below = api.post(
        "/api/v1/quotes", json={"product_code": "staged", "amount": "6000", "approved": "5000"}, headers=headers
    )
    assert refusal(below) == (422, "approved_below_first_tranche")
    container.lending.products.define(BASE)
    once = api.post(
        "/api/v1/quotes", json={"product_code": BASE.code, "amount": "6000", "approved": "10000"}, headers=headers
    )
    assert refusal(once) == (422, "product_single_disbursement")


def test_a_tranche_on_a_single_disbursement_loan_is_a_problem_naming_why(
    api: TestClient, fake_auth: FakeAuthenticator, loan_id: str
) -> None:
    shown = api.get(f"/api/v1/loans/{loan_id}", headers=fake_auth.headers(Role.BORROWER, "brw_a")).json()
    assert (shown["approved_amount"], shown["tranches"]) == (None, 1)
    response = _post(api, fake_auth, f"/api/v1/loans/{loan_id}/tranches", {"amount": "100"}, "t1")
    assert refusal(response) == (409, "loan_not_multi_disbursement")
