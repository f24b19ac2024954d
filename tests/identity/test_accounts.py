from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.tables import outbox
from fairlend.errors import Conflict, Invalid, NotFound, Unauthorized
from fairlend.identity.model import KycLevel, OtpPurpose, Role
from fairlend.ids import is_id
from tests.identity.helpers import cn_mobile, code_for, later, sign_up


def test_a_borrower_signs_up_with_a_confirmed_mobile_number(container: Container) -> None:
    who = sign_up(container)
    assert who.role is Role.BORROWER and is_id(who.subject_id, "brw")
    facts = container.identity.person(who.subject_id)
    assert facts.kyc_levels == frozenset({KycLevel.PHONE_VERIFIED})
    assert facts.timezone == "Asia/Shanghai" and "****" in facts.masked_phone
    with container.uow(read_only=True) as uow:
        types = [r.event_type for r in uow.conn.execute(select(outbox.c.event_type).order_by(outbox.c.position))]
    assert types == ["identity.PersonRegistered", "identity.KycLevelReached"]


def test_an_investor_gets_an_inv_id_and_the_same_number_may_also_borrow(
    container: Container, clock: FixedClock
) -> None:
    phone = cn_mobile()
    investor = sign_up(container, phone, Role.INVESTOR)
    later(clock)
    borrower = sign_up(container, phone, Role.BORROWER)
    assert is_id(investor.subject_id, "inv") and is_id(borrower.subject_id, "brw")


def test_a_second_borrower_account_for_one_number_is_a_conflict_and_keeps_the_code(
    container: Container, clock: FixedClock
) -> None:
    phone = cn_mobile()
    sign_up(container, phone)
    later(clock)
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    code = code_for(container, phone, OtpPurpose.SIGN_UP)
    with pytest.raises(Conflict) as caught:
        container.identity.accounts.sign_up(phone, code, Role.BORROWER)
    assert caught.value.code == "phone_already_registered"
    # Nothing was written: the same code still opens an investor account.
    assert container.identity.accounts.sign_up(phone, code, Role.INVESTOR).role is Role.INVESTOR


@pytest.mark.parametrize("role", [Role.ADMIN, Role.UNDERWRITER, Role.COLLECTOR, Role.COMPLIANCE, "root"])
def test_people_cannot_sign_up_as_operators(container: Container, role: Role | str) -> None:
    # A good, unused code: only the role check stands between this call and an operator account.
    phone = cn_mobile()
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    code = code_for(container, phone, OtpPurpose.SIGN_UP)
    with pytest.raises(Invalid) as refused:
        container.identity.accounts.sign_up(phone, code, role)
    assert refused.value.code == "invalid_role"
    # Refused before anything was written: the same code still opens a borrower account.
    assert container.identity.accounts.sign_up(phone, code, Role.BORROWER).role is Role.BORROWER


def test_log_in_needs_an_account_and_a_log_in_code(container: Container, clock: FixedClock) -> None:
    phone = cn_mobile()
    who = sign_up(container, phone)
    later(clock)
    container.identity.otp.send_code(phone, OtpPurpose.LOG_IN)
    assert container.identity.accounts.log_in(phone, code_for(container, phone, OtpPurpose.LOG_IN), "borrower") == who
    stranger = cn_mobile()
    container.identity.otp.send_code(stranger, OtpPurpose.LOG_IN)
    with pytest.raises(NotFound) as missing:
        container.identity.accounts.log_in(stranger, code_for(container, stranger, OtpPurpose.LOG_IN), "borrower")
    assert missing.value.code == "account_not_found"


def test_an_operator_logs_in_with_password_and_totp_once_per_code(container: Container, clock: FixedClock) -> None:
    accounts = container.identity.accounts
    created = accounts.create_operator("Alice", "correct horse battery", Role.UNDERWRITER)
    assert created.operator.username == "alice" and is_id(created.operator.operator_id, "op")
    totp = pyotp.TOTP(created.totp_secret)
    code = totp.at(clock.now())
    principal = accounts.operator_log_in("alice", "correct horse battery", code)
    assert principal.role is Role.UNDERWRITER
    with pytest.raises(Unauthorized) as replayed:  # the same code twice is a replay
        accounts.operator_log_in("alice", "correct horse battery", code)
    clock.advance(timedelta(seconds=30))
    with pytest.raises(Unauthorized) as wrong_password:
        accounts.operator_log_in("alice", "wrong password!!", totp.at(clock.now()))
    with pytest.raises(Unauthorized) as nobody:
        accounts.operator_log_in("nobody", "correct horse battery", totp.at(clock.now()))
    # Every failure reads the same: nothing tells which part was wrong.
    assert {e.value.code for e in (replayed, wrong_password, nobody)} == {"operator_login_failed"}
    assert accounts.operator_log_in("alice", "correct horse battery", totp.at(clock.now())) == principal


def test_operator_rules_are_enforced(container: Container) -> None:
    accounts = container.identity.accounts
    with pytest.raises(Invalid) as short:
        accounts.create_operator("bob", "short", Role.ADMIN)
    assert short.value.code == "password_too_short"
    with pytest.raises(Invalid) as person:
        accounts.create_operator("bob", "long enough password", Role.BORROWER)
    assert person.value.code == "invalid_role"
    with pytest.raises(Invalid) as name:
        accounts.create_operator("b", "long enough password", Role.ADMIN)
    assert name.value.code == "invalid_username"
    accounts.create_operator("bob", "long enough password", Role.ADMIN)
    with pytest.raises(Conflict) as taken:
        accounts.create_operator("BOB", "long enough password", Role.ADMIN)
    assert taken.value.code == "username_taken"
    assert [o.username for o in accounts.operators()] == ["bob"]


def test_passwords_and_totp_secrets_are_never_stored_in_clear(container: Container) -> None:
    from fairlend.identity.tables import identity_operator

    created = container.identity.accounts.create_operator("carol", "a very secret pass", Role.COMPLIANCE)
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(select(identity_operator)).one()
    assert "a very secret pass" not in str(tuple(row)) and created.totp_secret not in str(tuple(row))
    assert row.password_hash.startswith("$argon2")


def test_tokens_carry_the_principal_until_they_expire(container: Container, clock: FixedClock) -> None:
    who = sign_up(container)
    token, expires_at = container.identity.tokens.issue(who)
    assert container.identity.tokens.authenticate(token) == who
    assert container.identity.tokens.authenticate(token[:-2] + "xx") is None
    clock.set(expires_at)
    assert container.identity.tokens.authenticate(token) is None
