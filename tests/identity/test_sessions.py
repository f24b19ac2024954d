"""Ending sessions before their tokens expire: log-out, revoke-all, disabling an operator."""

from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, insert, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.tables import outbox
from fairlend.errors import Conflict, NotFound, Unauthorized
from fairlend.identity.model import Principal, Role
from fairlend.identity.sessions import CLI, LOGOUT, OPERATOR_DISABLED, REVOKED
from fairlend.identity.tables import identity_session_revocation
from fairlend.identity.tokens import _REVOCATIONS, API_TOKEN_TTL, MAX_TOKEN_TTL, WEB_SESSION_TTL
from tests.identity.helpers import sign_up

ADMIN = Principal("op_admin", Role.ADMIN)


def _revocation_rows(container: Container) -> list[tuple[str, str]]:
    t = identity_session_revocation
    with container.uow(read_only=True) as uow:
        return [(r.subject_id, r.token_id) for r in uow.conn.execute(select(t).order_by(t.c.subject_id, t.c.token_id))]


def test_a_logged_out_token_is_refused_while_another_of_the_same_person_still_works(container: Container) -> None:
    who = sign_up(container)
    tokens = container.identity.tokens
    phone, laptop = tokens.issue(who)[0], tokens.issue(who, WEB_SESSION_TTL)[0]
    assert container.identity.sessions.log_out(phone) is True
    assert tokens.authenticate(phone) is None
    assert tokens.authenticate(laptop) == who
    # A second log-out of the same token, or of a forged one, writes nothing more.
    assert container.identity.sessions.log_out(phone) is False
    assert container.identity.sessions.log_out(phone[:-2] + "xx") is False
    assert len(_revocation_rows(container)) == 1


def test_revoke_all_refuses_every_earlier_token_even_one_of_the_same_instant_but_not_a_later_one(
    container: Container, clock: FixedClock
) -> None:
    who = sign_up(container)
    other = sign_up(container)
    tokens = container.identity.tokens
    older = tokens.issue(who)[0]
    clock.advance(timedelta(minutes=5))
    same_instant = tokens.issue(who)[0]  # the FixedClock has not moved: issued in the revoke's very microsecond
    done = container.identity.sessions.revoke_all(who.subject_id, ADMIN)
    assert done.revoked_at == clock.now()
    assert tokens.authenticate(older) is None and tokens.authenticate(same_instant) is None
    clock.advance(timedelta(microseconds=1))
    after = tokens.issue(who)[0]
    assert tokens.authenticate(after) == who
    assert tokens.authenticate(tokens.issue(other)[0]) == other  # nobody else is touched


def test_a_second_revoke_all_at_an_earlier_instant_never_lets_a_token_back_in(
    container: Container, clock: FixedClock
) -> None:
    who = sign_up(container)
    clock.advance(timedelta(minutes=10))
    token = container.identity.tokens.issue(who)[0]
    container.identity.sessions.revoke_all(who.subject_id, ADMIN)
    clock.advance(timedelta(minutes=-20))  # another server whose clock lags
    container.identity.sessions.revoke_all(who.subject_id, ADMIN)
    clock.advance(timedelta(minutes=20))
    assert container.identity.tokens.authenticate(token) is None


def test_a_token_from_before_revocation_existed_is_refused(container: Container, clock: FixedClock) -> None:
    who = sign_up(container)
    legacy = URLSafeSerializer(container.settings.secret_key.get_secret_value(), salt="fairlend.bearer-token").dumps(
        {"sub": who.subject_id, "role": "borrower", "exp": int((clock.now() + API_TOKEN_TTL).timestamp())}
    )
    assert container.identity.tokens.read(str(legacy)) is None
    assert container.identity.tokens.authenticate(str(legacy)) is None


def test_checking_a_token_is_one_statement_that_probes_the_primary_key(container: Container) -> None:
    who = sign_up(container)
    token = container.identity.tokens.issue(who)[0]
    t = identity_session_revocation
    now = container.clock.now()
    with container.uow() as uow:  # enough rows that a planner prefers the index to a scan
        uow.conn.execute(
            insert(t),
            [
                {"subject_id": f"brw_{i:05d}", "token_id": f"tok_{i:05d}", "revoked_at": now, "expires_at": now}
                for i in range(3000)
            ],
        )
        uow.commit()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(container.engine, "before_cursor_execute", count)
    try:
        assert container.identity.tokens.authenticate(token) == who
    finally:
        sa.event.remove(container.engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "identity_session_revocation" in statements[0]
    with container.engine.connect() as conn:
        compiled = _REVOCATIONS.compile(dialect=conn.dialect)
        params = {**compiled.params, "subject_id": "brw_01000", "token_id": "tok_01000"}
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE identity_session_revocation")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", params))
            assert "Index Scan using pk_identity_session_revocation" in plan, plan
        else:
            positional = tuple(params[name] for name in compiled.positiontup or ())
            plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional))
            assert "USING INDEX sqlite_autoindex_identity_session_revocation_1 (subject_id=? AND token_id=?)" in plan, (
                plan
            )


def test_revocations_are_pruned_by_the_next_revocation_once_their_tokens_have_expired(
    container: Container, clock: FixedClock
) -> None:
    one, two = sign_up(container), sign_up(container)
    container.identity.sessions.log_out(container.identity.tokens.issue(one)[0])
    container.identity.sessions.revoke_all(two.subject_id, ADMIN)
    assert len(_revocation_rows(container)) == 2
    clock.advance(API_TOKEN_TTL)  # the logged-out token has expired; revoke-all rows last as long as any token
    container.identity.sessions.revoke_all(one.subject_id, ADMIN)
    assert _revocation_rows(container) == sorted([(one.subject_id, "*"), (two.subject_id, "*")])
    clock.advance(MAX_TOKEN_TTL)
    fresh = container.identity.tokens.issue(two)[0]
    claims = container.identity.tokens.read(fresh)
    assert claims is not None
    container.identity.sessions.log_out(fresh)
    assert _revocation_rows(container) == [(two.subject_id, claims.token_id)]


def test_no_token_outlives_the_longest_session(container: Container) -> None:
    with pytest.raises(ValueError):
        container.identity.tokens.issue(Principal("brw_x", Role.BORROWER), MAX_TOKEN_TTL + timedelta(seconds=1))


def test_revoking_an_unknown_subject_is_not_found(container: Container) -> None:
    with pytest.raises(NotFound) as caught:
        container.identity.sessions.revoke_all("op_nobody")
    assert caught.value.code == "subject_not_found"


def test_a_disabled_operator_loses_every_session_and_cannot_log_in(container: Container, clock: FixedClock) -> None:
    accounts = container.identity.accounts
    made = accounts.create_operator("colin", "collector password", Role.COLLECTOR)
    who = accounts.operator_log_in("colin", "collector password", pyotp.TOTP(made.totp_secret).at(clock.now()))
    web = container.identity.tokens.issue(who, WEB_SESSION_TTL)[0]
    api = container.identity.tokens.issue(who)[0]
    disabled = accounts.disable_operator(who.subject_id, ADMIN)
    assert disabled.active is False and accounts.operator(who.subject_id).active is False
    assert container.identity.tokens.authenticate(web) is None and container.identity.tokens.authenticate(api) is None
    clock.advance(timedelta(seconds=30))
    with pytest.raises(Unauthorized) as refused:
        accounts.operator_log_in("colin", "collector password", pyotp.TOTP(made.totp_secret).at(clock.now()))
    assert refused.value.code == "operator_login_failed"
    with container.uow(read_only=True) as uow:
        events = list(uow.conn.execute(select(outbox.c.event_type).where(outbox.c.aggregate_id == who.subject_id)))
    assert [e.event_type for e in events] == ["identity.OperatorCreated", "identity.OperatorDisabled"]


def test_an_operator_cannot_disable_themselves_nor_someone_unknown(container: Container) -> None:
    with pytest.raises(Conflict) as themselves:
        container.identity.accounts.disable_operator(ADMIN.subject_id, ADMIN)
    assert themselves.value.code == "cannot_disable_self"
    with pytest.raises(NotFound) as unknown:
        container.identity.accounts.disable_operator("op_nobody", ADMIN)
    assert unknown.value.code == "operator_not_found"


def test_every_revocation_is_in_the_audit_log_with_who_and_why(container: Container) -> None:
    person = sign_up(container)
    made = container.identity.accounts.create_operator("cleo", "collector password", Role.COLLECTOR)
    op_id = made.operator.operator_id
    container.identity.sessions.log_out(container.identity.tokens.issue(person)[0])
    container.identity.sessions.revoke_all(person.subject_id)  # the command line
    container.identity.sessions.revoke_all(op_id, ADMIN)
    container.identity.accounts.disable_operator(op_id, ADMIN)
    seen = [(e.actor_id, e.actor_role, e.person_id, e.fields, e.purpose) for e in container.identity.audit.entries()]
    assert list(reversed(seen)) == [
        (person.subject_id, "borrower", person.subject_id, "session", LOGOUT),
        (CLI, "system", person.subject_id, "sessions", REVOKED),
        ("op_admin", "admin", op_id, "sessions", REVOKED),
        ("op_admin", "admin", op_id, "sessions", OPERATOR_DISABLED),
    ]
    with container.uow(read_only=True) as uow:
        total = uow.conn.execute(select(func.count()).select_from(identity_session_revocation)).scalar_one()
    assert total == 3  # the operator's two revoke-alls share one row


def test_a_token_checked_before_is_still_refused_once_it_expires_or_is_logged_out(
    container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = sign_up(container)
    tokens = container.identity.tokens
    short, other = tokens.issue(who)[0], tokens.issue(who)[0]
    assert tokens.authenticate(short) == who and tokens.authenticate(other) == who
    # Checked once, the signature is not checked again (the memo answers): the expiry and the revocation are.
    monkeypatch.setattr(tokens, "_verify", lambda token: pytest.fail("the signature was checked again"))
    assert tokens.authenticate(short) == who
    container.identity.sessions.log_out(other)
    assert tokens.authenticate(other) is None
    clock.advance(API_TOKEN_TTL)
    assert tokens.authenticate(short) is None  # expired, memo or not


def test_the_memo_of_checked_tokens_keeps_only_well_signed_ones_and_stays_bounded(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fairlend.identity.tokens as token_module

    monkeypatch.setattr(token_module, "VERIFIED_MEMO_SIZE", 3)
    who = sign_up(container)
    tokens = container.identity.tokens
    good = tokens.issue(who)[0]
    for n in range(10):
        assert tokens.authenticate(f"{good}x{n}") is None  # a forged signature: refused, and never kept
    issued = [tokens.issue(who)[0] for _ in range(7)]
    assert all(tokens.authenticate(token) == who for token in [good, *issued])
    assert 1 <= len(tokens._verified) <= 3
