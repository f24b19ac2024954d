"""`POST /api/v1/repayment-files` and `GET /api/v1/repayment-files/{id}`: multipart in, every line's result out."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.lending.model import Product
from fairlend.money import Money
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE

HEADER = b"loan_reference,amount,value_date,external_reference\n"


@pytest.fixture
def loan(container: Container) -> str:
    product: Product = container.lending.products.define(BASE)
    return container.lending.book_loan("brw_a", product.code, Money.of("10000", "CNY"))


def _post(api: TestClient, fake_auth: FakeAuthenticator, data: bytes, **headers: str) -> Any:
    return api.post(
        "/api/v1/repayment-files",
        files={"file": ("psp-0302.csv", data, "text/csv")},
        headers={**fake_auth.headers(Role.UNDERWRITER, "op_u"), **headers},
    )


def test_a_file_is_applied_and_answered_with_its_summary_and_every_lines_result(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, loan: str
) -> None:
    data = HEADER + f"{loan},100.00,2026-03-02,PSP-1\nloan_x,1.005,2026-03-02,PSP-2\n".encode()
    response = _post(api, fake_auth, data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["format"], body["lines"], body["applied"], body["refused"]) == (
        "psp-0302.csv",
        "csv",
        2,
        1,
        1,
    )
    assert body["totals"] == [{"amount": "100.00", "minor": 10_000, "currency": "CNY"}]
    assert body["imported_by"] == "op_u" and body["already_imported"] is False
    first, second = body["results"]
    assert (first["line"], first["status"], first["code"], first["loan_reference"]) == (1, "applied", "", loan)
    assert first["amount"] == {"amount": "100.00", "minor": 10_000, "currency": "CNY"}
    assert first["repayment_id"].startswith("rpy_")
    assert (second["status"], second["code"], second["amount"], second["external_reference"]) == (
        "refused",
        "amount_too_precise",
        None,
        "PSP-2",
    )
    assert container.lending.loan_facts(loan).outstanding_principal < Money.of("10000", "CNY")
    again = api.get(f"/api/v1/repayment-files/{body['id']}", headers=fake_auth.headers(Role.ADMIN, "op_a"))
    assert again.status_code == 200 and again.json() == body


def test_the_same_file_again_is_answered_200_with_the_first_result_and_pays_nothing(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, loan: str
) -> None:
    data = HEADER + f"{loan},100.00,2026-03-02,PSP-1\n".encode()
    first = _post(api, fake_auth, data)
    again = _post(api, fake_auth, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["already_imported"] is True and again.json()["id"] == first.json()["id"]
    assert again.json()["results"] == first.json()["results"]
    assert len(container.lending.repayments_of(loan)) == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (HEADER + b"loan_1,1.00,2026-03-02,\xff\n", "file_not_utf8"),
        (b"loan,amount\nloan_1,1.00\n", "file_columns"),
        (HEADER, "file_empty"),
    ],
)
def test_a_file_refused_whole_is_a_422_problem_and_nothing_is_kept(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, data: bytes, code: str
) -> None:
    response = _post(api, fake_auth, data)
    assert refusal(response) == (422, code)
    with container.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM repayment_file").scalar() == 0


def test_no_file_is_a_422_problem_and_an_unknown_file_id_a_404(api: TestClient, fake_auth: FakeAuthenticator) -> None:
    headers = fake_auth.headers(Role.UNDERWRITER, "op_u")
    missing = api.post("/api/v1/repayment-files", data={"note": "x"}, headers=headers)
    assert missing.status_code == 422 and missing.headers["content-type"] == "application/problem+json"
    assert refusal(api.get("/api/v1/repayment-files/rpf_nope", headers=headers)) == (404, "repayment_file_not_found")


def test_an_idempotency_key_is_taken_and_a_replay_answers_the_first_result(
    api: TestClient, fake_auth: FakeAuthenticator, container: Container, loan: str
) -> None:
    data = HEADER + f"{loan},100.00,2026-03-02,PSP-1\n".encode()
    first = _post(api, fake_auth, data, **{"Idempotency-Key": "file-1"})
    replay = _post(api, fake_auth, data, **{"Idempotency-Key": "file-1"})
    assert first.status_code == 201 and replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == first.json()
    assert len(container.lending.repayments_of(loan)) == 1
