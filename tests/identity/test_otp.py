from datetime import timedelta

import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid, RateLimited
from fairlend.identity.model import OtpPurpose
from fairlend.identity.otp import MAX_WRONG_ATTEMPTS, SENDS_PER_DAY
from fairlend.identity.tables import identity_otp
from tests.identity.helpers import cn_mobile, code_for, later, sender


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_sent_code_verifies_once_for_its_purpose(container: Container) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    sent = otp.send_code(phone, OtpPurpose.LOG_IN)
    assert sent.masked_phone.count("*") == 4
    code = code_for(container, phone, OtpPurpose.LOG_IN)
    with pytest.raises(Invalid) as other_purpose:
        otp.verify_code(phone, code, OtpPurpose.SIGN_UP)
    assert other_purpose.value.code == "code_expired"
    assert otp.verify_code(phone, code, "log_in").e164 == "+86" + phone
    with pytest.raises(Invalid) as again:
        otp.verify_code(phone, code, OtpPurpose.LOG_IN)
    assert again.value.code == "code_expired"


def test_a_contact_persons_code_is_never_texted_from_identity_directly(container: Container) -> None:
    """It reaches a third person: only collections' contact gateway may send it (hours, cease, the log)."""
    otp = container.identity.otp
    phone = cn_mobile()
    with pytest.raises(Invalid) as refused:
        otp.send_code(phone, OtpPurpose.CONFIRM_CONTACT)
    assert refused.value.code == "contact_code_through_gateway"
    assert sender(container).sent() == []
    issued = otp.issue_code(phone, OtpPurpose.CONFIRM_CONTACT, client="person:brw_1")
    assert otp.verify_code(phone, issued.code, OtpPurpose.CONFIRM_CONTACT).e164 == "+86" + phone


def test_a_code_expires_after_five_minutes(container: Container, clock: FixedClock) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    otp.send_code(phone, OtpPurpose.LOG_IN)
    code = code_for(container, phone, OtpPurpose.LOG_IN)
    clock.advance(timedelta(minutes=5))
    with pytest.raises(Invalid) as expired:
        otp.verify_code(phone, code, OtpPurpose.LOG_IN)
    assert expired.value.code == "code_expired"


def test_five_wrong_codes_lock_it_even_against_the_right_one(container: Container) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    otp.send_code(phone, OtpPurpose.LOG_IN)
    code = code_for(container, phone, OtpPurpose.LOG_IN)
    for attempt in range(1, MAX_WRONG_ATTEMPTS):
        with pytest.raises(Invalid) as wrong:
            otp.verify_code(phone, _wrong(code), OtpPurpose.LOG_IN)
        assert wrong.value.code == "code_wrong"
        assert wrong.value.extra["attempts_left"] == MAX_WRONG_ATTEMPTS - attempt
    with pytest.raises(RateLimited) as fifth:
        otp.verify_code(phone, _wrong(code), OtpPurpose.LOG_IN)
    assert fifth.value.code == "code_locked"
    with pytest.raises(RateLimited) as locked:
        otp.verify_code(phone, code, OtpPurpose.LOG_IN)
    assert locked.value.code == "code_locked"


def test_one_send_a_minute_and_ten_a_day_per_number(container: Container, clock: FixedClock) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    otp.send_code(phone, OtpPurpose.SIGN_UP)
    with pytest.raises(RateLimited) as soon:
        otp.send_code(phone, OtpPurpose.LOG_IN)
    assert soon.value.code == "code_send_rate_limited"
    for _ in range(SENDS_PER_DAY - 1):
        later(clock)
        otp.send_code(phone, OtpPurpose.SIGN_UP)
    later(clock)
    with pytest.raises(RateLimited) as daily:
        otp.send_code(phone, OtpPurpose.SIGN_UP)
    assert daily.value.code == "code_send_daily_limit"
    otp.send_code(cn_mobile(), OtpPurpose.SIGN_UP)  # another number is not affected
    clock.advance(timedelta(days=1))
    otp.send_code(phone, OtpPurpose.SIGN_UP)


def test_a_new_code_replaces_the_previous_one(container: Container, clock: FixedClock) -> None:
    otp = container.identity.otp
    phone = cn_mobile()
    otp.send_code(phone, OtpPurpose.SIGN_UP)
    first = code_for(container, phone, OtpPurpose.SIGN_UP)
    later(clock)
    otp.send_code(phone, OtpPurpose.SIGN_UP)
    second = code_for(container, phone, OtpPurpose.SIGN_UP)
    if first != second:
        with pytest.raises(Invalid) as superseded:
            otp.verify_code(phone, first, OtpPurpose.SIGN_UP)
        assert superseded.value.code == "code_wrong"  # it is checked against the new code, and counts
    otp.verify_code(phone, second, OtpPurpose.SIGN_UP)


def test_codes_are_stored_only_as_keyed_hashes(container: Container) -> None:
    phone = cn_mobile()
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    code = code_for(container, phone, OtpPurpose.SIGN_UP)
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(select(identity_otp)).all()
    assert rows and all(code not in str(tuple(row)) and phone not in str(tuple(row)) for row in rows)


def test_a_bad_number_sends_nothing(container: Container) -> None:
    with pytest.raises(Invalid) as caught:
        container.identity.otp.send_code("+12025550123", OtpPurpose.SIGN_UP)
    assert caught.value.code == "phone_wrong_region"
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(identity_otp)).first() is None


def test_codes_older_than_a_day_are_removed_when_the_number_asks_again(container: Container, clock: FixedClock) -> None:
    from sqlalchemy import func

    phone = cn_mobile()
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    clock.advance(timedelta(days=1, seconds=1))
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(func.count()).select_from(identity_otp)).scalar_one() == 1


@pytest.mark.backends("postgresql")
def test_concurrent_sends_to_one_number_send_one_code(container: Container) -> None:
    import threading

    phone = cn_mobile()
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        barrier.wait()
        try:
            container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
            outcomes.append("sent")
        except RateLimited:
            outcomes.append("limited")

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["limited", "limited", "limited", "sent"]
