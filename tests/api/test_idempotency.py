"""`Idempotency-Key` from outside: whose key it is, what "the same request" means, failures on our side.

Crashes (the server killed between each pair of steps) are in test_idempotency_crashes.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel

from fairlend.api.app import create_app
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.tables import idempotency_key
from fairlend.identity.model import Role
from fairlend.ledger.model import credit, debit, entry
from fairlend.lending.model import Product
from fairlend.lending.tables import loan_repayment
from fairlend.money import Money
from tests.api.identity_helpers import token_for
from tests.api.test_app import CAPITAL, CASH, _app_with_probe_routes
from tests.identity.helpers import cn_mobile
from tests.lending.conftest import BASE

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def probe(container: Container) -> Iterator[TestClient]:
    with TestClient(_app_with_probe_routes(container), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def cash12(container: Container) -> Product:
    return container.lending.products.define(BASE)


def _book(api: TestClient, container: Container, borrower: str = "brw_a") -> str:
    response = api.post(
        "/api/v1/loans",
        json={"borrower_id": borrower, "product_code": "cash-12", "amount": "10000.00"},
        headers={**token_for(container, Role.UNDERWRITER, "op_book"), "Idempotency-Key": f"book-{borrower}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _repayments(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(loan_repayment)).scalar_one())


def _repay(api: TestClient, loan: str, headers: dict[str, str], key: str, body: dict[str, Any]) -> Any:
    return api.post(f"/api/v1/loans/{loan}/repayments", json=body, headers={**headers, "Idempotency-Key": key})


# ---- a repayment's answer, stored with the repayment -----------------------------------------


def test_a_keyed_repayment_writes_its_claim_then_the_repayment_with_its_answer_and_nothing_else(
    api: TestClient, container: Container, cash12: Product
) -> None:
    loan = _book(api, container)
    headers = token_for(container, Role.BORROWER, "brw_a")
    commits: list[int] = []

    def count(conn: object) -> None:
        commits.append(1)

    sa.event.listen(container.engine, "commit", count)
    try:
        first = _repay(api, loan, headers, "pay-once", {"amount": "100.00"})
        assert first.status_code == 201, first.text
        assert len(commits) == 2  # the claim; the repayment, its key marked and its answer stored
        commits.clear()
        again = _repay(api, loan, headers, "pay-once", {"amount": "100.00"})
    finally:
        sa.event.remove(container.engine, "commit", count)
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content and commits == []
    assert _repayments(container) == 1


# ---- whose key it is --------------------------------------------------------------------------


def test_the_same_operator_signed_in_twice_posts_once_and_gets_the_first_answer(
    api: TestClient, container: Container, cash12: Product
) -> None:
    loan = _book(api, container)
    first_session = token_for(container, Role.UNDERWRITER, "op_uma")
    second_session = token_for(container, Role.UNDERWRITER, "op_uma")
    assert first_session != second_session
    first = _repay(api, loan, first_session, "pay-1", {"amount": "100.00"})
    again = _repay(api, loan, second_session, "pay-1", {"amount": "100.00"})
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert _repayments(container) == 1


def test_two_people_never_share_a_key(api: TestClient, container: Container, cash12: Product) -> None:
    loan = _book(api, container)
    for operator in ("op_uma", "op_ada"):
        response = _repay(api, loan, token_for(container, Role.UNDERWRITER, operator), "pay-1", {"amount": "100"})
        assert response.status_code == 201 and response.headers.get("idempotent-replayed") is None
    assert _repayments(container) == 2


def test_a_key_belongs_to_one_route(api: TestClient, container: Container, cash12: Product) -> None:
    first_loan, second_loan = _book(api, container, "brw_a"), _book(api, container, "brw_b")
    uma = token_for(container, Role.UNDERWRITER, "op_uma")
    assert _repay(api, first_loan, uma, "pay-1", {"amount": "100"}).status_code == 201
    other = _repay(api, second_loan, uma, "pay-1", {"amount": "100"})
    assert other.status_code == 201 and other.headers.get("idempotent-replayed") is None
    assert _repayments(container) == 2


def test_an_anonymous_call_is_not_idempotent_it_runs_again(api: TestClient) -> None:
    phone = cn_mobile()
    headers = {"Idempotency-Key": "code-1"}
    assert api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"}, headers=headers).status_code == 202
    again = api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"}, headers=headers)
    # Not a replay of the 202: the call ran again and met the per-number send limit.
    assert again.status_code == 429 and again.json()["code"] == "code_send_rate_limited"
    assert again.headers.get("idempotent-replayed") is None


def test_a_token_that_stopped_working_gets_the_routes_refusal_not_the_stored_answer(
    api: TestClient, container: Container, cash12: Product
) -> None:
    loan = _book(api, container)
    uma = token_for(container, Role.UNDERWRITER, "op_uma")
    assert _repay(api, loan, uma, "pay-1", {"amount": "100"}).status_code == 201
    assert api.post("/api/v1/auth/logout", headers={**uma, "Idempotency-Key": "bye"}).status_code == 204
    replay = _repay(api, loan, uma, "pay-1", {"amount": "100"})
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_token"
    assert replay.headers.get("idempotent-replayed") is None
    assert _repayments(container) == 1


# ---- the same request: the validated one, not the same bytes ------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('{"amount": "1.0"}', '{"amount": "1.00"}'),
        ('{"amount": "10", "reference": "r-1"}', '{"reference": "r-1", "amount": "10"}'),
        ('{"amount": "10"}', '{"amount": "10", "reference": ""}'),  # a default sent or left out
        ('{"amount": "10"}', '{\n  "amount" : "10"\n}'),
        ('{"amount": "10"}', '{"amount": 10}'),
        ('{"amount": "10"}', '{"amount": "10", "ignored": true}'),  # a field the schema does not take
    ],
)
def test_the_same_validated_request_is_a_replay_however_it_is_written(
    api: TestClient, container: Container, cash12: Product, first: str, second: str
) -> None:
    loan = _book(api, container)
    uma = {**token_for(container, Role.UNDERWRITER, "op_uma"), "Content-Type": "application/json"}
    answer = api.post(f"/api/v1/loans/{loan}/repayments", content=first, headers={**uma, "Idempotency-Key": "pay-1"})
    again = api.post(f"/api/v1/loans/{loan}/repayments", content=second, headers={**uma, "Idempotency-Key": "pay-1"})
    assert answer.status_code == 201, answer.text
    assert again.status_code == 201 and again.headers.get("idempotent-replayed") == "true", again.text
    assert _repayments(container) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"amount": "10", "reference": "007"}, {"amount": "10", "reference": "7"}),  # text stays text
        ({"amount": "10"}, {"amount": "10.01"}),
        ({"amount": "10", "reference": "A"}, {"amount": "10", "reference": "a"}),
    ],
)
def test_a_different_validated_request_with_the_key_is_refused(
    api: TestClient, container: Container, cash12: Product, first: dict[str, str], second: dict[str, str]
) -> None:
    loan = _book(api, container)
    uma = token_for(container, Role.UNDERWRITER, "op_uma")
    assert _repay(api, loan, uma, "pay-1", first).status_code == 201
    refused = _repay(api, loan, uma, "pay-1", second)
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM_JSON
    assert refused.json()["code"] == "idempotency_key_reused"
    assert _repayments(container) == 1


def test_a_refused_body_is_compared_as_parsed_json(api: TestClient, container: Container, cash12: Product) -> None:
    loan = _book(api, container)
    uma = {**token_for(container, Role.UNDERWRITER, "op_uma"), "Content-Type": "application/json"}
    for body in ('{"amount": "x", "reference": "r"}', '{"reference": "r", "amount": "x"}'):
        response = api.post(f"/api/v1/loans/{loan}/repayments", content=body, headers={**uma, "Idempotency-Key": "k"})
        assert response.status_code == 422 and response.json()["code"] == "amount_invalid"
    assert response.headers.get("idempotent-replayed") == "true"


# ---- failures on our side ------------------------------------------------------------------------


class Deposit(BaseModel):
    minor: int


def _with_failing_route(container: Container) -> TestClient:
    app = create_app(container=container)
    router = APIRouter()

    @router.post("/api/v1/_probe/deposit-then-fail", status_code=201)
    def deposit_then_fail(body: Deposit, container: ContainerDep, key: IdempotencyKey = None) -> None:
        with container.uow() as uow:
            container.ledger.post(
                uow,
                entry(
                    container.clock.business_date(),
                    "deposit",
                    debit(CASH, Money(body.minor, "CNY")),
                    credit(CAPITAL, Money(body.minor, "CNY")),
                ),
            )
            uow.commit()
        raise RuntimeError("the answer could not be rendered")

    @router.post("/api/v1/_probe/fail-first", status_code=201)
    def fail_first(body: Deposit, container: ContainerDep, key: IdempotencyKey = None) -> dict[str, int]:
        if body.minor == 0:
            raise RuntimeError("nothing done")
        return {"minor": body.minor}

    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def test_a_failure_after_the_effect_answers_that_it_took_effect_and_never_runs_it_again(
    container: Container,
) -> None:
    client = _with_failing_route(container)
    headers = {**token_for(container, Role.ADMIN, "op_a"), "Idempotency-Key": "dep-1"}
    first = client.post("/api/v1/_probe/deposit-then-fail", json={"minor": 500}, headers=headers)
    again = client.post("/api/v1/_probe/deposit-then-fail", json={"minor": 500}, headers=headers)
    for response in (first, again):
        assert response.status_code == 409 and response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "idempotency_response_lost"
    assert container.ledger.balance(CASH) == Money(500, "CNY")


def test_a_failure_before_any_effect_frees_the_key_for_a_retry(container: Container) -> None:
    client = _with_failing_route(container)
    headers = {**token_for(container, Role.ADMIN, "op_a"), "Idempotency-Key": "k"}
    failed = client.post("/api/v1/_probe/fail-first", json={"minor": 0}, headers=headers)
    assert failed.status_code == 500 and failed.json()["code"] == "internal_error"
    assert client.post("/api/v1/_probe/fail-first", json={"minor": 0}, headers=headers).status_code == 500


def test_a_request_in_flight_says_when_to_retry_and_resolves_when_its_lease_ends(
    api: TestClient, container: Container, cash12: Product, clock: FixedClock
) -> None:
    loan = _book(api, container)
    uma = token_for(container, Role.UNDERWRITER, "op_uma")
    assert _repay(api, loan, uma, "pay-1", {"amount": "100"}).status_code == 201
    # Put the key back as an attempt would leave it that posted and then died before storing its answer.
    with container.engine.begin() as conn:
        conn.execute(
            sa.update(idempotency_key)
            .where(idempotency_key.c.state == "done")
            .where(idempotency_key.c.status_code == 201)
            .where(idempotency_key.c.created_at == clock.now())
            .values(state="pending", claim_token="died", lease_until=clock.now() + timedelta(seconds=60), effected=True)
        )
    busy = _repay(api, loan, uma, "pay-1", {"amount": "100"})
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_request_in_progress"
    assert busy.headers["retry-after"] == "60" and busy.json()["retry_after"] == 60
    clock.advance(timedelta(seconds=61))
    for _ in range(2):
        settled = _repay(api, loan, uma, "pay-1", {"amount": "100"})
        assert settled.status_code == 409 and settled.json()["code"] == "idempotency_response_lost"
    assert _repayments(container) == 1


# ---- the plumbing tests that lived in test_app.py, as a signed-in caller ----------------------------


def test_a_replayed_key_returns_the_first_answer_and_posts_once(probe: TestClient, container: Container) -> None:
    headers = {**token_for(container, Role.ADMIN, "op_a"), "Idempotency-Key": "dep-1"}
    first = probe.post("/api/v1/_probe/deposits", json={"minor": 500}, headers=headers)
    again = probe.post("/api/v1/_probe/deposits", json={"minor": 500}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    assert container.ledger.balance(CASH) == Money(500, "CNY")


def test_the_same_key_with_a_different_body_is_refused(probe: TestClient, container: Container) -> None:
    headers = {**token_for(container, Role.ADMIN, "op_a"), "Idempotency-Key": "dep-2"}
    probe.post("/api/v1/_probe/deposits", json={"minor": 500}, headers=headers)
    refused = probe.post("/api/v1/_probe/deposits", json={"minor": 501}, headers=headers)
    assert refused.status_code == 422 and refused.json()["code"] == "idempotency_key_reused"
    assert container.ledger.balance(CASH) == Money(500, "CNY")


def test_a_refused_request_is_replayed_as_refused(probe: TestClient, container: Container) -> None:
    headers = {**token_for(container, Role.ADMIN, "op_a"), "Idempotency-Key": "dep-3"}
    first = probe.post("/api/v1/_probe/deposits", json={"minor": 13}, headers=headers)
    again = probe.post("/api/v1/_probe/deposits", json={"minor": 13}, headers=headers)
    assert first.status_code == again.status_code == 409 and again.json() == first.json()
    assert again.json()["code"] == "unlucky_amount"


def test_an_overlong_key_is_refused(probe: TestClient, container: Container) -> None:
    headers = {**token_for(container, Role.ADMIN, "op_a"), "Idempotency-Key": "x" * 300}
    refused = probe.post("/api/v1/_probe/deposits", json={"minor": 1}, headers=headers)
    assert refused.status_code == 400 and refused.json()["code"] == "idempotency_key_invalid"
    assert container.ledger.balance(CASH) == Money(0, "CNY")
