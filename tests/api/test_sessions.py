"""Ending sessions over HTTP: log-out, an admin's revoke-all, disabling an operator."""

from datetime import timedelta
from typing import Any

import pyotp
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.api.identity_helpers import api_sign_up, bearer, dev_code, token_for
from tests.lending.conftest import BASE


def _refused(response: Any) -> bool:
    return (
        response.status_code == 401
        and response.headers["content-type"].startswith("application/problem+json")
        and response.json()["code"] == "invalid_token"
    )


def _operator(api: TestClient, container: Container, clock: FixedClock, role: str = "collector") -> dict[str, Any]:
    admin = token_for(container, Role.ADMIN, "op_admin")
    made = api.post(
        "/api/v1/operators", json={"username": "colin", "password": "collector pass", "role": role}, headers=admin
    )
    assert made.status_code == 201, made.text
    secret = made.json()["totp_secret"]
    login = api.post(
        "/api/v1/auth/operator-tokens",
        json={"username": "colin", "password": "collector pass", "totp_code": pyotp.TOTP(secret).at(clock.now())},
    )
    assert login.status_code == 200, login.text
    return {
        "id": made.json()["operator"]["operator_id"],
        "headers": bearer(login.json()["access_token"]),
        "admin": admin,
        "totp": pyotp.TOTP(secret),
    }


def test_a_logged_out_token_is_refused_while_another_token_of_the_same_person_works(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    borrower = api_sign_up(api)
    clock.advance(timedelta(minutes=2))  # the next code may be sent a minute later
    api.post("/api/v1/auth/otp", json={"phone": borrower["phone"], "purpose": "log_in"})
    second = api.post(
        "/api/v1/auth/tokens",
        json={"phone": borrower["phone"], "code": dev_code(api, borrower["phone"]), "role": "borrower"},
    )
    assert second.status_code == 200, second.text
    out = api.post("/api/v1/auth/logout", headers={**borrower["headers"], "Idempotency-Key": "bye"})
    assert out.status_code == 204 and out.content == b""
    assert _refused(api.get("/api/v1/me", headers=borrower["headers"]))
    assert _refused(api.post("/api/v1/auth/logout", headers=borrower["headers"]))
    me = api.get("/api/v1/me", headers=bearer(second.json()["access_token"]))
    assert me.status_code == 200 and me.json()["subject_id"] == borrower["subject_id"]


def test_logging_out_needs_a_valid_token(api: TestClient) -> None:
    assert api.post("/api/v1/auth/logout").json()["code"] == "not_authenticated"
    assert _refused(api.post("/api/v1/auth/logout", headers=bearer("forged")))


def test_an_admin_revokes_every_earlier_session_of_an_operator_but_not_a_later_log_in(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    colin = _operator(api, container, clock)
    other = token_for(container, Role.COLLECTOR, colin["id"])
    revoked = api.post(f"/api/v1/operators/{colin['id']}/sessions/revoke", headers=colin["admin"])
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["subject_id"] == colin["id"]
    assert _refused(api.get("/api/v1/me", headers=colin["headers"])) and _refused(api.get("/api/v1/me", headers=other))
    clock.advance(timedelta(seconds=1))
    later = token_for(container, Role.COLLECTOR, colin["id"])
    assert api.get("/api/v1/me", headers=later).status_code == 200
    assert api.get("/api/v1/operators", headers=colin["admin"]).status_code == 200  # the admin is untouched
    log = api.get("/api/v1/audit-log", params={"person_id": colin["id"]}, headers=colin["admin"]).json()
    assert [(e["actor_id"], e["fields"], e["purpose"]) for e in log] == [("op_admin", "sessions", "sessions_revoked")]


def test_revoking_an_unknown_operator_is_404(api: TestClient, container: Container) -> None:
    admin = token_for(container, Role.ADMIN, "op_admin")
    person = api_sign_up(api)
    for subject in ("op_nobody", person["subject_id"]):  # a person is not an operator
        missing = api.post(f"/api/v1/operators/{subject}/sessions/revoke", headers=admin)
        assert missing.status_code == 404 and missing.json()["code"] == "operator_not_found"
    assert api.get("/api/v1/me", headers=person["headers"]).status_code == 200


def test_a_disabled_operators_token_is_refused_and_they_cannot_log_in_again(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    colin = _operator(api, container, clock)
    assert api.get("/api/v1/collections/queue", headers=colin["headers"]).status_code == 200
    disabled = api.post(f"/api/v1/operators/{colin['id']}/disable", headers=colin["admin"])
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert _refused(api.get("/api/v1/collections/queue", headers=colin["headers"]))
    listed = api.get("/api/v1/operators", headers=colin["admin"]).json()
    assert [(o["username"], o["active"]) for o in listed] == [("colin", False)]
    clock.advance(timedelta(seconds=30))
    again = api.post(
        "/api/v1/auth/operator-tokens",
        json={"username": "colin", "password": "collector pass", "totp_code": colin["totp"].at(clock.now())},
    )
    assert again.status_code == 401 and again.json()["code"] == "operator_login_failed"
    yourself = api.post("/api/v1/operators/op_admin/disable", headers=colin["admin"])
    assert yourself.status_code == 409 and yourself.json()["code"] == "cannot_disable_self"


def test_a_stored_answer_is_not_replayed_to_a_token_that_was_revoked_since(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    colin = _operator(api, container, clock)
    first = api.post(
        f"/api/v1/operators/{colin['id']}/sessions/revoke", headers={**colin["admin"], "Idempotency-Key": "once"}
    )
    assert first.status_code in (200, 204), first.text
    again = api.post(
        f"/api/v1/operators/{colin['id']}/sessions/revoke", headers={**colin["admin"], "Idempotency-Key": "once"}
    )
    assert again.headers.get("idempotent-replayed") == "true"  # a good token still gets its stored answer
    out = api.post("/api/v1/auth/logout", headers={**colin["admin"], "Idempotency-Key": "bye"})
    assert out.status_code == 204
    replay = api.post(
        f"/api/v1/operators/{colin['id']}/sessions/revoke", headers={**colin["admin"], "Idempotency-Key": "once"}
    )
    assert _refused(replay) and replay.headers.get("idempotent-replayed") is None
    assert _refused(api.post("/api/v1/auth/logout", headers={**colin["admin"], "Idempotency-Key": "bye"}))


def test_a_mutating_call_reads_the_revocations_once_for_its_key_and_its_access(
    api: TestClient, container: Container
) -> None:
    container.lending.products.define(BASE)
    headers = token_for(container, Role.BORROWER, "brw_a")
    reads: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "identity_session_revocation" in statement:
            reads.append(statement)

    quote = {"product_code": "cash-12", "amount": "1000"}
    sa.event.listen(container.engine, "before_cursor_execute", count)
    try:
        answered = api.post("/api/v1/quotes", json=quote, headers={**headers, "Idempotency-Key": "q1"})
        assert answered.status_code == 200, answered.text
        assert len(reads) == 1  # the key's owner and the route's principal: one read
        assert api.post("/api/v1/auth/logout", headers={**headers, "Idempotency-Key": "bye"}).status_code == 204
        reads.clear()
        # Revoked: refused, and the key is neither claimed nor replayed (its first answer was good).
        for key in ("q1", "q2"):
            refused = api.post("/api/v1/quotes", json=quote, headers={**headers, "Idempotency-Key": key})
            assert _refused(refused) and refused.headers.get("idempotent-replayed") is None
        assert len(reads) == 2
    finally:
        sa.event.remove(container.engine, "before_cursor_execute", count)


def test_the_busiest_loan_routes_refuse_a_logged_out_token_and_read_revocations_once(
    api: TestClient, container: Container
) -> None:
    container.lending.products.define(BASE)
    loan_id = container.lending.book_loan("brw_a", "cash-12", Money.of("1000", "CNY"))
    headers = token_for(container, Role.BORROWER, "brw_a")
    calls = [
        ("GET", f"/api/v1/loans/{loan_id}", {}),
        ("GET", "/api/v1/borrowers/brw_a/loans", {}),
        ("GET", f"/api/v1/loans/{loan_id}/payoff", {}),
        ("POST", f"/api/v1/loans/{loan_id}/repayments", {"json": {"amount": "1.00"}}),
    ]
    reads: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "identity_session_revocation" in statement:
            reads.append(statement)

    sa.event.listen(container.engine, "before_cursor_execute", count)
    try:
        for n, (method, path, body) in enumerate(calls):
            reads.clear()
            answered = api.request(method, path, headers={**headers, "Idempotency-Key": f"ok-{n}"}, **body)
            assert answered.status_code in (200, 201), answered.text
            assert len(reads) == 1, (path, reads)
        assert api.post("/api/v1/auth/logout", headers={**headers, "Idempotency-Key": "bye"}).status_code == 204
        for n, (method, path, body) in enumerate(calls):
            refused = api.request(method, path, headers={**headers, "Idempotency-Key": f"late-{n}"}, **body)
            assert _refused(refused), (path, refused.text)
        assert api.get(f"/api/v1/loans/{loan_id}").json()["code"] == "not_authenticated"
    finally:
        sa.event.remove(container.engine, "before_cursor_execute", count)
    assert len(container.lending.repayments_of(loan_id)) == 1  # the refused repayment posted nothing


def test_a_loan_read_refuses_a_token_at_once_when_another_process_revokes_it(
    api: TestClient, container: Container, settings: Settings, clock: FixedClock
) -> None:
    """`GET /loans/{id}` reads the revocation in the loan's own read transaction (api.auth.hot_read):
    a log-out or a revoke-all committed by another process, with its own engine and token memo, refuses
    the token on the very next request, and a token issued after a revoke-all still works."""
    borrower = api_sign_up(api)["subject_id"]
    container.lending.products.define(BASE)
    loan_id = container.lending.book_loan(borrower, "cash-12", Money.of("1000", "CNY"))
    logged_out, revoked = token_for(container, Role.BORROWER, borrower), token_for(container, Role.BORROWER, borrower)
    path = f"/api/v1/loans/{loan_id}"
    assert api.get(path, headers=logged_out).status_code == 200  # both tokens now in this process's memo
    assert api.get(path, headers=revoked).status_code == 200
    other = bootstrap(settings, clock=clock)  # another process: its own engine, pool and token service
    try:
        assert other.identity.sessions.log_out(logged_out["Authorization"].removeprefix("Bearer "))
        assert _refused(api.get(path, headers=logged_out))
        assert api.get(path, headers=revoked).status_code == 200
        clock.advance(timedelta(seconds=1))
        other.identity.sessions.revoke_all(borrower)
        assert _refused(api.get(path, headers=revoked))
        clock.advance(timedelta(seconds=1))
        assert api.get(path, headers=token_for(container, Role.BORROWER, borrower)).status_code == 200
    finally:
        other.close()


def test_a_loan_read_refuses_a_forged_or_missing_token_before_reading_the_loan(
    api: TestClient, container: Container
) -> None:
    container.lending.products.define(BASE)
    loan_id = container.lending.book_loan("brw_a", "cash-12", Money.of("1000", "CNY"))
    good = token_for(container, Role.BORROWER, "brw_a")["Authorization"]
    assert _refused(api.get(f"/api/v1/loans/{loan_id}", headers={"Authorization": good[:-2] + "xx"}))
    assert api.get(f"/api/v1/loans/{loan_id}").json()["code"] == "not_authenticated"
    someone_else = token_for(container, Role.BORROWER, "brw_b")
    assert api.get(f"/api/v1/loans/{loan_id}", headers=someone_else).json()["code"] == "not_yours"
