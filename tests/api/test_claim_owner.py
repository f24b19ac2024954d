"""A mutating call's bearer token is checked inside its Idempotency-Key's claim (api.app.owner_of):
the revocation probe is the first statement of the claim's own transaction, so a keyed repayment is
two transactions (the claim, the repayment), and a revoked token claims and replays nothing."""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.api.identity_helpers import token_for
from tests.lending.conftest import BASE


def _loan(container: Container, borrower: str = "brw_a") -> str:
    container.lending.products.define(BASE)
    return container.lending.book_loan(borrower, "cash-12", Money.of("1000", "CNY"))


def test_a_keyed_repayment_reads_the_revocations_first_in_its_claims_transaction(
    api: TestClient, container: Container
) -> None:
    loan_id = _loan(container)
    headers = {**token_for(container, Role.BORROWER, "brw_a"), "Idempotency-Key": "pay-1"}
    statements: list[tuple[int, str]] = []
    begins: list[int] = []

    def executed(conn: Any, cursor: object, statement: str, *args: object) -> None:
        statements.append((id(conn.connection.dbapi_connection), statement))

    def began(conn: Any) -> None:
        begins.append(id(conn.connection.dbapi_connection))

    sa.event.listen(container.engine, "before_cursor_execute", executed)
    sa.event.listen(container.engine, "begin", began)
    try:
        answered = api.post(f"/api/v1/loans/{loan_id}/repayments", json={"amount": "1.00"}, headers=headers)
    finally:
        sa.event.remove(container.engine, "before_cursor_execute", executed)
        sa.event.remove(container.engine, "begin", began)
    assert answered.status_code == 201, answered.text
    assert len(begins) == 2  # the claim (with the token's revocation probe), then the repayment
    probes = [n for n, (_, sql) in enumerate(statements) if "identity_session_revocation" in sql]
    assert len(probes) == 1
    claim = statements[probes[0] + 1]  # the claim's insert comes next, on the probe's connection
    assert claim[1].lstrip().startswith("INSERT INTO idempotency_key") and claim[0] == statements[probes[0]][0]


def test_a_token_revoked_by_another_process_neither_claims_nor_replays_and_posts_nothing(
    api: TestClient, container: Container, settings: Settings, clock: FixedClock
) -> None:
    loan_id = _loan(container)
    token = token_for(container, Role.BORROWER, "brw_a")
    path = f"/api/v1/loans/{loan_id}/repayments"
    first = api.post(path, json={"amount": "1.00"}, headers={**token, "Idempotency-Key": "k1"})
    assert first.status_code == 201, first.text
    other = bootstrap(settings, clock=clock)  # its own engine and token memo
    try:
        assert other.identity.sessions.log_out(token["Authorization"].removeprefix("Bearer "))
    finally:
        other.close()
    for key in ("k1", "k2"):  # the answered key is not replayed, the new one not claimed
        refused = api.post(path, json={"amount": "1.00"}, headers={**token, "Idempotency-Key": key})
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
        assert refused.headers.get("idempotent-replayed") is None
    with container.engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT count(*) FROM idempotency_key")).scalar_one()
    assert keys == 1  # k1's, from before the log-out
    assert len(container.lending.repayments_of(loan_id)) == 1
    clock.advance(timedelta(seconds=1))
    fresh = token_for(container, Role.BORROWER, "brw_a")
    replay = api.post(path, json={"amount": "1.00"}, headers={**fresh, "Idempotency-Key": "k1"})
    assert replay.status_code == 201 and replay.headers.get("idempotent-replayed") == "true"  # same owner
    assert replay.content == first.content


def test_an_expired_token_on_a_mutating_call_gets_the_problem_and_leaves_no_claim(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    loan_id = _loan(container)
    token = token_for(container, Role.BORROWER, "brw_a")
    clock.advance(timedelta(hours=1, seconds=1))
    refused = api.post(
        f"/api/v1/loans/{loan_id}/repayments", json={"amount": "1.00"}, headers={**token, "Idempotency-Key": "late"}
    )
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "invalid_token"
    with container.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM idempotency_key")).scalar_one() == 0
