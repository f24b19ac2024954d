"""Where the request path's reads run (api/reads.py): on the event loop on SQLite, on the thread pool on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.api.reads import on_the_event_loop, on_the_thread_pool
from fairlend.bootstrap import Container
from fairlend.db.tables import outbox_consumer
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.api.identity_helpers import token_for
from tests.lending.conftest import BASE
from tests.web.helpers import sign_in


def _on_the_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _watch(monkeypatch: pytest.MonkeyPatch, target: object, name: str, seen: dict[str, bool]) -> None:
    """Record, for each call of `target.name`, whether it ran on the event loop's thread."""
    original: Callable[..., Any] = getattr(target, name)

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen[name] = _on_the_loop()
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, watched)


def test_the_hot_reads_and_authentication_run_on_the_event_loop_on_sqlite_only(
    api: TestClient, container: Container, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container.lending.products.define(BASE)
    loan_id = container.lending.book_loan("brw_a", "cash-12", Money.of("1000", "CNY"))
    headers = token_for(container, Role.BORROWER, "brw_a")
    seen: dict[str, bool] = {}
    for name in ("loan_answer", "loan_detail", "loan_details_of_borrower", "loan_facts", "payoff_quote", "repay_as"):
        _watch(monkeypatch, container.lending, name, seen)
    assert container.authenticator is not None
    _watch(monkeypatch, container.authenticator, "authenticate", seen)

    for path in (f"/api/v1/loans/{loan_id}", "/api/v1/borrowers/brw_a/loans", f"/api/v1/loans/{loan_id}/payoff"):
        assert api.get(path, headers=headers).status_code == 200, path
    sign_in(api, container, "brw_a", Role.BORROWER)
    assert api.get(f"/borrower/loans/{loan_id}").status_code == 200
    reads = dict(seen)
    assert sorted(reads) == [
        "authenticate",
        "loan_answer",  # GET /loans/{id}: its token's revocation read inside it (api.auth.hot_read)
        "loan_detail",
        "loan_details_of_borrower",
        "loan_facts",
        "payoff_quote",
    ]
    assert set(reads.values()) == {backend == "sqlite"}, reads

    # A write (the key's claim, which reads the token's revocations as its first statement, and the
    # repayment): always on the thread pool, and no separate authentication read.
    _watch(monkeypatch, container.idempotency, "claim_as", seen)
    del seen["authenticate"]
    paid = api.post(
        f"/api/v1/loans/{loan_id}/repayments", json={"amount": "1.00"}, headers={**headers, "Idempotency-Key": "k"}
    )
    assert paid.status_code == 201, paid.text

    assert seen["repay_as"] is False and seen["claim_as"] is False
    assert "authenticate" not in seen


def test_create_app_chooses_the_runner_from_the_database(api: TestClient, backend: str) -> None:
    runner = api.app.state.read_runner  # type: ignore[attr-defined]
    assert runner is (on_the_event_loop if backend == "sqlite" else on_the_thread_pool)


def test_a_unit_of_work_that_writes_is_refused_on_the_event_loop_and_writes_nothing(container: Container) -> None:
    def write() -> None:
        with container.uow() as uow:
            uow.conn.execute(sa.insert(outbox_consumer).values(name="on-the-loop", position=0))
            uow.commit()

    def read() -> int:
        with container.uow(read_only=True) as uow:
            return int(uow.conn.execute(sa.select(sa.func.count()).select_from(outbox_consumer)).scalar_one())

    with pytest.raises(RuntimeError, match="never on the event loop"):
        asyncio.run(on_the_event_loop(write))
    assert asyncio.run(on_the_event_loop(read)) == 0
    asyncio.run(on_the_thread_pool(write))  # the same write, where writes run
    assert read() == 1
