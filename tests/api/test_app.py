from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from fairlend.api.app import create_app
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.bootstrap import Container
from fairlend.errors import Conflict, RateLimited
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.money import Money

CASH = AccountKey(AccountType.PLATFORM_CASH, "CNY")
CAPITAL = AccountKey(AccountType.PLATFORM_CAPITAL, "CNY")


class DepositCreate(BaseModel):
    minor: int


class DepositPublic(BaseModel):
    entry_id: str
    balance: int


def _app_with_probe_routes(container: Container) -> FastAPI:
    """The real app, plus routes that exercise the error and idempotency plumbing."""
    app = create_app(container=container)
    router = APIRouter()

    @router.post("/api/v1/_probe/deposits", status_code=201)
    def deposit(body: DepositCreate, container: ContainerDep, key: IdempotencyKey = None) -> DepositPublic:
        if body.minor == 429:
            raise RateLimited("slow_down", "too many deposits", retry_after=60)
        if body.minor == 13:
            raise Conflict("unlucky_amount", "13 is refused", amount=body.minor)
        with container.uow() as uow:
            entry_id = container.ledger.post(
                uow,
                entry(
                    date(2026, 3, 2),
                    "deposit",
                    debit(CASH, Money(body.minor, "CNY")),
                    credit(CAPITAL, Money(body.minor, "CNY")),
                ),
            )
            uow.commit()
        return DepositPublic(entry_id=entry_id, balance=container.ledger.balance(CASH).minor)

    @router.get("/api/v1/_probe/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    return app


@pytest.fixture
def probe(container: Container) -> Iterator[TestClient]:
    with TestClient(_app_with_probe_routes(container), raise_server_exceptions=False) as client:
        yield client


def test_health_answers_ok(api: TestClient) -> None:
    response = api.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["jurisdiction"] == "cn"


def test_openapi_is_published(api: TestClient) -> None:
    assert "/api/v1/health" in api.get("/openapi.json").json()["paths"]


def _is_problem(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["code"] == code and body["detail"] and body["type"] and body["title"]
    return body


def test_unknown_route_is_a_404_problem(api: TestClient) -> None:
    _is_problem(api.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_a_405_problem(api: TestClient) -> None:
    _is_problem(api.delete("/api/v1/health"), 405, "method_not_allowed")


def test_bad_body_is_a_422_problem_naming_the_field(probe: TestClient) -> None:
    body = _is_problem(probe.post("/api/v1/_probe/deposits", json={"minor": "lots"}), 422, "validation_error")
    assert "minor" in str(body["detail"])


def test_a_domain_error_keeps_its_code_and_status(probe: TestClient) -> None:
    body = _is_problem(probe.post("/api/v1/_probe/deposits", json={"minor": 13}), 409, "unlucky_amount")
    assert body["amount"] == 13


def test_an_unexpected_error_is_a_500_problem_without_internals(probe: TestClient) -> None:
    body = _is_problem(probe.get("/api/v1/_probe/crash"), 500, "internal_error")
    assert "boom" not in str(body)


# The idempotency plumbing is tested in test_idempotency.py, as a signed-in caller (anonymous calls are not idempotent).


def test_a_rate_limit_says_when_to_retry(probe: TestClient) -> None:
    response = probe.post("/api/v1/_probe/deposits", json={"minor": 429})
    body = _is_problem(response, 429, "slow_down")
    assert response.headers["retry-after"] == "60" and body["retry_after"] == 60
