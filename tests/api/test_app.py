import importlib
import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.routing import compile_path

from fairlend.api.app import api_routers, create_app
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.bootstrap import Container
from fairlend.config import Settings
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


def _sample_path(template: str) -> str:
    """A request path the template matches: each parameter replaced by a plain value."""
    return re.sub(r"\{[^}]+\}", "x1", template)


def test_no_request_path_matches_routes_of_two_routers_so_their_order_only_changes_the_time_to_match() -> None:
    # create_app puts the busiest routers first (api_routers) and the pages after the API: that is
    # only safe while no path could be answered by a route of another router, or by a page.
    from fairlend.web.app import PAGE_MODULES

    groups = [
        [(prefix + r.path, r.methods) for r in router.routes if isinstance(r, APIRoute)]
        for router, prefix in api_routers(Settings())
    ]
    for name in PAGE_MODULES:
        module = importlib.import_module(name)
        for router in (module.router, getattr(module, "dev_router", None)):
            if router is not None:
                groups.append([(r.path, r.methods) for r in router.routes if isinstance(r, APIRoute)])
    assert sum(len(group) for group in groups) > 150
    compiled = [[(compile_path(path)[0], path, methods) for path, methods in group] for group in groups]
    clashes = []
    for i, group in enumerate(compiled):
        for _, path, methods in group:
            for j, other in enumerate(compiled):
                if i == j:
                    continue
                for other_pattern, other_path, other_methods in other:
                    if methods & other_methods and other_pattern.match(_sample_path(path)):
                        clashes.append((path, other_path))
    assert clashes == []
