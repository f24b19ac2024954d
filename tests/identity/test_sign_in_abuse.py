"""Sign-in abuse, as found from outside: SMS pumping, locking the admin out, codes without a way back.

- One client asked for codes to 15 numbers at once: each client and the platform
  now have send budgets, kept in the database.
- 12 wrong passwords for a known operator name locked that operator out for 15
  minutes: guessing is now throttled by client and name; the account never locks.
- `code_locked` said nothing about when a new code can come: it carries
  `retry_after` now.
- `issue_code` creates a code under every limit without sending it (collections
  delivers the contact-person code itself); the budgets apply to it too.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import DomainError, Invalid, RateLimited, Unauthorized
from fairlend.identity.login_throttle import PER_CLIENT, PER_CLIENT_AND_NAME, PER_NAME, WINDOW
from fairlend.identity.model import OtpPurpose, Role
from fairlend.identity.otp import MAX_WRONG_ATTEMPTS, OtpService, SendBudgets, SendBudgetSpent
from fairlend.identity.ports import DevMessageSender
from fairlend.identity.tables import identity_otp
from tests.identity.helpers import cn_mobile, code_for, sender

PUMPER = "ip:203.0.113.9"


# ---- send budgets -----------------------------------------------------------------------------


def test_one_client_cannot_have_codes_sent_to_many_numbers(container: Container, clock: FixedClock) -> None:
    otp = container.identity.otp
    for _ in range(10):
        otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client=PUMPER)
    sent = len(sender(container).sent())
    for _ in range(5):  # the 11th to the 15th number
        with pytest.raises(RateLimited) as refused:
            otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client=PUMPER)
        assert refused.value.code == "code_send_client_budget"
        assert refused.value.extra["retry_after"] == 3600
    assert len(sender(container).sent()) == sent  # nothing more was texted
    # Another client is not held back by this one,
    otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client="ip:198.51.100.7")
    # and the pumping client may ask again once its oldest code is an hour old.
    clock.advance(timedelta(hours=1, seconds=1))
    otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client=PUMPER)


def test_a_client_has_a_daily_budget_too(container: Container, clock: FixedClock) -> None:
    otp = container.identity.otp
    for _ in range(3):
        for _ in range(10):
            otp.send_code(cn_mobile(), OtpPurpose.LOG_IN, client=PUMPER)
        clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(RateLimited) as refused:
        otp.send_code(cn_mobile(), OtpPurpose.LOG_IN, client=PUMPER)
    assert refused.value.code == "code_send_client_budget"
    assert 0 < refused.value.extra["retry_after"] <= 86_400 - 3 * 3600


def _small_platform(container: Container, platform_hour: int) -> tuple[OtpService, DevMessageSender]:
    texts = DevMessageSender(container.clock)
    budgets = SendBudgets(per_client_hour=100, per_client_day=100, platform_hour=platform_hour)
    return OtpService(container.uow, container.identity.vault, texts, "CN", budgets), texts


def test_the_platform_stops_sending_when_its_hourly_budget_is_spent(container: Container, clock: FixedClock) -> None:
    otp, texts = _small_platform(container, platform_hour=3)
    for n in range(3):
        otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client=f"ip:192.0.2.{n}")
    with pytest.raises(SendBudgetSpent) as spent:
        otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client="ip:192.0.2.99")
    assert spent.value.code == "code_send_platform_budget" and spent.value.status == 503
    assert spent.value.extra["retry_after"] == 3600
    with pytest.raises(SendBudgetSpent):  # the platform's own codes spend from it as well
        otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP)
    assert len(texts.sent()) == 3
    clock.advance(timedelta(hours=1, seconds=1))
    otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client="ip:192.0.2.99")


@pytest.mark.backends("postgresql")
def test_concurrent_sends_from_one_client_stay_within_its_budget(container: Container) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(14)

    def send() -> None:
        barrier.wait()
        try:
            container.identity.otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP, client=PUMPER)
            outcomes.append("sent")
        except RateLimited as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=send) for _ in range(14)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("sent") == 10 and outcomes.count("code_send_client_budget") == 4


# ---- issuing without sending -----------------------------------------------------------------------


def test_an_issued_code_is_committed_and_checks_but_nothing_is_sent(container: Container) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    issued = otp.issue_code(phone, OtpPurpose.CONFIRM_CONTACT, client="person:brw_1")
    assert sender(container).sent() == []
    assert issued.masked_phone == otp.phone(phone).masked and issued.phone_e164 == otp.phone(phone).e164
    assert issued.expires_at == container.clock.now() + timedelta(minutes=5) and len(issued.code) == 6
    assert otp.verify_code(phone, issued.code, OtpPurpose.CONFIRM_CONTACT).e164 == issued.phone_e164


def test_issuing_spends_the_same_limits_and_budgets_as_sending(container: Container) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    otp.issue_code(phone, OtpPurpose.CONFIRM_CONTACT, client="person:brw_1")
    with pytest.raises(RateLimited) as per_number:
        otp.send_code(phone, OtpPurpose.SIGN_UP, client="ip:192.0.2.1")
    assert per_number.value.code == "code_send_rate_limited"
    for _ in range(9):
        otp.issue_code(cn_mobile(), OtpPurpose.CONFIRM_CONTACT, client="person:brw_1")
    with pytest.raises(RateLimited) as budget:
        otp.issue_code(cn_mobile(), OtpPurpose.CONFIRM_CONTACT, client="person:brw_1")
    assert budget.value.code == "code_send_client_budget"


class RefusingSender:
    def send(self, phone_e164: str, text: str, *, code: str, purpose: str) -> None:
        raise DomainError("sms_gateway_down", "the gateway refused")


def test_a_code_the_gateway_refused_is_withdrawn_and_spends_nothing(container: Container) -> None:
    otp = OtpService(container.uow, container.identity.vault, RefusingSender(), "CN")
    phone = cn_mobile()
    with pytest.raises(DomainError) as refused:
        otp.send_code(phone, OtpPurpose.SIGN_UP, client=PUMPER)
    assert refused.value.code == "sms_gateway_down"
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(func.count()).select_from(identity_otp)).scalar_one() == 0
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP, client=PUMPER)  # no minute to wait


# ---- a locked code says when a new one can come -------------------------------------------------------


def test_a_locked_code_says_when_a_new_one_can_be_sent(container: Container, clock: FixedClock) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    otp.send_code(phone, OtpPurpose.LOG_IN)
    code = code_for(container, phone, OtpPurpose.LOG_IN)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    clock.advance(timedelta(seconds=20))
    for _ in range(MAX_WRONG_ATTEMPTS - 1):
        with pytest.raises(Invalid):
            otp.verify_code(phone, wrong, OtpPurpose.LOG_IN)
    with pytest.raises(RateLimited) as locking:
        otp.verify_code(phone, wrong, OtpPurpose.LOG_IN)
    assert locking.value.code == "code_locked" and locking.value.extra["retry_after"] == 40
    clock.advance(timedelta(seconds=30))
    with pytest.raises(RateLimited) as locked:
        otp.verify_code(phone, code, OtpPurpose.LOG_IN)
    assert locked.value.code == "code_locked" and locked.value.extra["retry_after"] == 10
    clock.advance(timedelta(seconds=10))
    otp.send_code(phone, OtpPurpose.LOG_IN)  # exactly when it said


# ---- operators: throttled, never locked --------------------------------------------------------------


def _admin(container: Container) -> pyotp.TOTP:
    created = container.identity.accounts.create_operator("root", "the right password", Role.ADMIN)
    return pyotp.TOTP(created.totp_secret)


def _fail(container: Container, client: str, name: str = "root") -> str:
    try:
        container.identity.accounts.operator_log_in(name, "a wrong password", "000000", client=client)
    except (Unauthorized, RateLimited) as exc:
        return exc.code
    raise AssertionError("a wrong password logged in")


def test_wrong_passwords_from_one_client_never_lock_the_admin_out(container: Container, clock: FixedClock) -> None:
    totp = _admin(container)
    outcomes = [_fail(container, "ip:203.0.113.66") for _ in range(12)]
    assert outcomes[:PER_CLIENT_AND_NAME] == ["operator_login_failed"] * PER_CLIENT_AND_NAME
    assert set(outcomes[PER_CLIENT_AND_NAME:]) == {"operator_login_throttled"}
    # The real admin, from another client, signs in at once with the right password and code.
    admin = container.identity.accounts.operator_log_in(
        "root", "the right password", totp.at(container.clock.now()), client="ip:10.0.0.5"
    )
    assert admin.role is Role.ADMIN
    # The guessing client itself gets another try only when its oldest failure is 15 minutes old.
    with pytest.raises(RateLimited) as throttled:
        container.identity.accounts.operator_log_in(
            "root", "the right password", totp.at(clock.now() + timedelta(seconds=30)), client="ip:203.0.113.66"
        )
    assert throttled.value.code == "operator_login_throttled"
    assert throttled.value.extra["retry_after"] == int(WINDOW.total_seconds())
    clock.advance(WINDOW + timedelta(seconds=1))
    assert _fail(container, "ip:203.0.113.66") == "operator_login_failed"


def test_a_throttled_name_reads_the_same_whether_it_exists_or_not(container: Container) -> None:
    _admin(container)
    for name in ("root", "nobody-here"):
        outcomes = [_fail(container, "ip:203.0.113.66", name) for _ in range(PER_CLIENT_AND_NAME + 1)]
        assert outcomes == ["operator_login_failed"] * PER_CLIENT_AND_NAME + ["operator_login_throttled"]


def test_one_client_spraying_many_names_is_throttled(container: Container) -> None:
    outcomes = [_fail(container, "ip:203.0.113.66", f"name-{n}") for n in range(PER_CLIENT + 1)]
    assert outcomes[-1] == "operator_login_throttled" and outcomes.count("operator_login_throttled") == 1


def test_a_name_under_attack_from_many_clients_holds_back_only_the_clients_that_failed(container: Container) -> None:
    totp = _admin(container)
    for n in range(PER_NAME):
        assert _fail(container, f"ip:198.51.100.{n}") == "operator_login_failed"
    # One of the attacking clients is held back now; the admin, who has not failed, is not.
    assert _fail(container, "ip:198.51.100.0") == "operator_login_throttled"
    assert _fail(container, "ip:192.0.2.200") == "operator_login_failed"  # a new client: one try
    assert _fail(container, "ip:192.0.2.200") == "operator_login_throttled"
    admin = container.identity.accounts.operator_log_in(
        "root", "the right password", totp.at(container.clock.now()), client="ip:10.0.0.5"
    )
    assert admin.role is Role.ADMIN


def test_a_successful_log_in_forgets_that_clients_failures(container: Container, clock: FixedClock) -> None:
    totp = _admin(container)
    for _ in range(PER_CLIENT_AND_NAME - 1):
        _fail(container, "ip:10.0.0.5")
    container.identity.accounts.operator_log_in(
        "root", "the right password", totp.at(container.clock.now()), client="ip:10.0.0.5"
    )
    clock.advance(timedelta(seconds=31))
    assert [_fail(container, "ip:10.0.0.5") for _ in range(PER_CLIENT_AND_NAME)] == [
        "operator_login_failed"
    ] * PER_CLIENT_AND_NAME
