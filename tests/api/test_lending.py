"""The lending API: quotes, products, booking, loan detail, repayments and payoff, with roles and ownership."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.lending.model import Product
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE


@pytest.fixture
def cash12(container: Container) -> Product:
    return container.lending.products.define(BASE)


def _book(api: TestClient, fake_auth: FakeAuthenticator, borrower: str = "brw_a", key: str = "book-1") -> dict:  # type: ignore[type-arg]
    response = api.post(
        "/api/v1/loans",
        json={"borrower_id": borrower, "product_code": "cash-12", "amount": "10000.00"},
        headers={**fake_auth.headers(Role.UNDERWRITER, "op_u"), "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_quote_returns_the_schedule_totals_and_apr(
    api: TestClient, fake_auth: FakeAuthenticator, cash12: Product
) -> None:
    response = api.post(
        "/api/v1/quotes",
        json={"product_code": "cash-12", "amount": "10000"},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["installment"] == {"amount": "916.80", "minor": 91680, "currency": "CNY"}
    assert body["apr"] == "0.1800"
    assert len(body["schedule"]) == 12
    assert body["total_repayment"]["minor"] == sum(line["total"]["minor"] for line in body["schedule"])


def test_a_quote_above_the_cap_is_a_problem_naming_the_cap_and_the_apr(
    api: TestClient, fake_auth: FakeAuthenticator, cash12: Product
) -> None:
    response = api.post(
        "/api/v1/quotes",
        json={"product_code": "cash-12", "amount": "10000", "rate": "0.30"},
        headers=fake_auth.headers(Role.BORROWER, "brw_a"),
    )
    assert refusal(response) == (403, "apr_above_cap")
    problem = response.json()
    assert problem["code"] == "apr_above_cap" and problem["rules"] == ["CN-21"]
    assert "24.00%" in problem["detail"] and "30.00%" in problem["detail"]


def test_bad_input_is_a_4xx_problem_never_a_5xx(api: TestClient, fake_auth: FakeAuthenticator, cash12: Product) -> None:
    headers = fake_auth.headers(Role.BORROWER, "brw_a")
    quote = "/api/v1/quotes"
    assert refusal(api.post(quote, json={"product_code": "cash-12", "amount": "-1"}, headers=headers)) == (
        422,
        "validation_error",
    )
    assert refusal(api.post(quote, json={"product_code": "nope", "amount": "10"}, headers=headers)) == (
        404,
        "product_not_found",
    )
    assert refusal(api.post(quote, json={"product_code": "cash-12", "amount": "0.001"}, headers=headers)) == (
        422,
        "amount_too_precise",
    )


def test_operators_book_loans_and_borrowers_cannot(
    api: TestClient, fake_auth: FakeAuthenticator, cash12: Product
) -> None:
    loan = _book(api, fake_auth)
    assert loan["state"] == "active" and loan["borrower_id"] == "brw_a"
    assert loan["schedule"][0]["status"] == "scheduled"
    refused = api.post(
        "/api/v1/loans",
        json={"borrower_id": "brw_a", "product_code": "cash-12", "amount": "10000"},
        headers={**fake_auth.headers(Role.BORROWER, "brw_a"), "Idempotency-Key": "x"},
    )
    assert refusal(refused) == (403, "role_not_allowed")
    no_key = api.post(
        "/api/v1/loans",
        json={"borrower_id": "brw_a", "product_code": "cash-12", "amount": "10000"},
        headers=fake_auth.headers(Role.ADMIN, "op_a"),
    )
    assert no_key.status_code == 400 and no_key.json()["code"] == "idempotency_key_required"


def test_a_borrower_reads_their_own_loan_and_not_anothers(
    api: TestClient, fake_auth: FakeAuthenticator, cash12: Product
) -> None:
    loan = _book(api, fake_auth)
    mine = api.get(f"/api/v1/loans/{loan['id']}", headers=fake_auth.headers(Role.BORROWER, "brw_a"))
    assert mine.status_code == 200 and mine.json()["days_past_due"] == 0
    theirs = api.get(f"/api/v1/loans/{loan['id']}", headers=fake_auth.headers(Role.BORROWER, "brw_b"))
    assert refusal(theirs) == (403, "not_yours")
    listed = api.get("/api/v1/borrowers/brw_a/loans", headers=fake_auth.headers(Role.BORROWER, "brw_a"))
    assert [item["id"] for item in listed.json()] == [loan["id"]]
    assert refusal(api.get("/api/v1/loans/loan_nope", headers=fake_auth.headers(Role.ADMIN, "op"))) == (
        404,
        "loan_not_found",
    )


def test_a_replayed_repayment_posts_once(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, cash12: Product
) -> None:
    loan = _book(api, fake_auth)
    headers = {**fake_auth.headers(Role.BORROWER, "brw_a"), "Idempotency-Key": "pay-1"}
    first = api.post(f"/api/v1/loans/{loan['id']}/repayments", json={"amount": "1000"}, headers=headers)
    again = api.post(f"/api/v1/loans/{loan['id']}/repayments", json={"amount": "1000"}, headers=headers)
    assert first.status_code == 201, first.text
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert container.lending.loan_facts(loan["id"]).outstanding_principal.minor == 1_000_000 - 100_000
    stranger = api.post(
        f"/api/v1/loans/{loan['id']}/repayments",
        json={"amount": "1"},
        headers={**fake_auth.headers(Role.BORROWER, "brw_b"), "Idempotency-Key": "pay-2"},
    )
    assert refusal(stranger) == (403, "not_yours")


def test_the_payoff_quote_settles_the_loan(api: TestClient, fake_auth: FakeAuthenticator, cash12: Product) -> None:
    loan = _book(api, fake_auth)
    headers = fake_auth.headers(Role.BORROWER, "brw_a")
    quote = api.get(f"/api/v1/loans/{loan['id']}/payoff", headers=headers).json()
    assert quote["total"]["amount"] == "10000.00"
    paid = api.post(
        f"/api/v1/loans/{loan['id']}/repayments",
        json={"amount": quote["total"]["amount"]},
        headers={**headers, "Idempotency-Key": "payoff"},
    )
    assert paid.json()["state"] == "settled"
    assert api.get(f"/api/v1/loans/{loan['id']}", headers=headers).json()["state"] == "settled"


def test_admins_define_products_and_everyone_signed_in_lists_them(
    api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    terms = {**BASE.to_dict(), "code": "api-12"}
    created = api.post(
        "/api/v1/products", json=terms, headers={**fake_auth.headers(Role.ADMIN, "op_a"), "Idempotency-Key": "p1"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    refused = api.post("/api/v1/products", json=terms, headers=fake_auth.headers(Role.UNDERWRITER, "op_u"))
    assert refusal(refused) == (403, "role_not_allowed")
    bad = api.post("/api/v1/products", json={**terms, "method": "magic"}, headers=fake_auth.headers(Role.ADMIN, "op_a"))
    assert refusal(bad) == (422, "product_field_invalid")
    listed = api.get("/api/v1/products", headers=fake_auth.headers(Role.BORROWER, "brw_a"))
    assert [p["code"] for p in listed.json()] == ["api-12"]


def test_the_loan_shows_paid_due_and_overdue_parts_after_end_of_day(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, cash12: Product
) -> None:
    from datetime import date

    loan = _book(api, fake_auth)
    container.eod.run(through=date(2026, 4, 5))
    headers = fake_auth.headers(Role.BORROWER, "brw_a")
    body = api.get(f"/api/v1/loans/{loan['id']}", headers=headers).json()
    assert (body["days_past_due"], body["bucket"]) == (4, "M1")
    assert [line["status"] for line in body["schedule"][:2]] == ["overdue", "scheduled"]
    assert body["schedule"][0]["outstanding"]["minor"] == 91_680 + 5_000  # the installment and its late fee
    assert body["overdue_amount"]["minor"] == 91_680 + 5_000 + body["penalty_due"]["minor"]
    api.post(
        f"/api/v1/loans/{loan['id']}/repayments",
        json={"amount": body["overdue_amount"]["amount"]},
        headers={**headers, "Idempotency-Key": "cure"},
    )
    cured = api.get(f"/api/v1/loans/{loan['id']}", headers=headers).json()
    assert cured["schedule"][0]["status"] == "paid" and cured["days_past_due"] == 0
    later = api.get(f"/api/v1/loans/{loan['id']}/payoff", params={"as_of": "2026-05-01"}, headers=headers).json()
    now = api.get(f"/api/v1/loans/{loan['id']}/payoff", headers=headers).json()
    assert later["interest"]["minor"] > now["interest"]["minor"]
    past = api.get(f"/api/v1/loans/{loan['id']}/payoff", params={"as_of": "2026-01-01"}, headers=headers)
    assert refusal(past) == (422, "payoff_in_past")


def test_a_payment_on_a_charged_off_loan_is_a_recovery_posted_once_and_shown_on_the_loan(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, cash12: Product
) -> None:
    from datetime import date

    loan = _book(api, fake_auth)
    container.eod.run(through=date(2026, 4, 20))
    owed = container.lending.charge_off(loan["id"])
    headers = {**fake_auth.headers(Role.BORROWER, "brw_a"), "Idempotency-Key": "recover-1"}
    first = api.post(f"/api/v1/loans/{loan['id']}/repayments", json={"amount": "300.00"}, headers=headers)
    again = api.post(f"/api/v1/loans/{loan['id']}/repayments", json={"amount": "300.00"}, headers=headers)
    assert first.status_code == 201, first.text
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    body = first.json()
    assert (body["kind"], body["state"]) == ("recovery", "charged_off")
    assert body["outstanding_principal"]["minor"] == owed.minor - 30_000
    shown = api.get(f"/api/v1/loans/{loan['id']}", headers=fake_auth.headers(Role.BORROWER, "brw_a")).json()
    assert shown["state"] == "charged_off"
    assert shown["charged_off_amount"]["minor"] == owed.minor
    assert shown["recovered_amount"] == {"amount": "300.00", "minor": 30_000, "currency": "CNY"}
    assert container.verify() == []


def test_an_imported_loan_is_booked_with_the_repayments_it_already_received(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, cash12: Product
) -> None:
    headers = {**fake_auth.headers(Role.UNDERWRITER, "op_u"), "Idempotency-Key": "import-1"}
    body = {
        "borrower_id": "brw_a",
        "product_code": "cash-12",
        "amount": "10000.00",
        "open_date": "2025-12-02",
        "repayments": [
            {"date": "2026-01-02", "amount": "916.80", "reference": "legacy-1"},
            {"date": "2026-02-02", "amount": "916.80"},
        ],
    }
    created = api.post("/api/v1/loans", json=body, headers=headers)
    assert created.status_code == 201, created.text
    loan = created.json()
    assert [line["status"] for line in loan["schedule"][:3]] == ["paid", "paid", "due"]
    assert (loan["days_past_due"], loan["bucket"], loan["open_date"]) == (0, "current", "2025-12-02")
    assert api.post("/api/v1/loans", json=body, headers=headers).json() == loan  # a replay books nothing more
    assert len(container.lending.loans_of_borrower("brw_a")) == 1

    early = {**body, "repayments": [{"date": "2025-11-30", "amount": "100"}]}
    refused = api.post("/api/v1/loans", json=early, headers={**headers, "Idempotency-Key": "import-2"})
    assert refused.status_code == 422 and refused.json()["code"] == "past_repayment_before_open"
    negative = {**body, "repayments": [{"date": "2026-01-02", "amount": "-1"}]}
    refused = api.post("/api/v1/loans", json=negative, headers={**headers, "Idempotency-Key": "import-3"})
    assert refused.status_code == 422 and refused.json()["code"] == "past_repayment_not_positive"
    assert len(container.lending.loans_of_borrower("brw_a")) == 1
    assert container.verify() == []
