"""Test people: valid resident ID numbers, mobile numbers and test-range cards."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from stdnum import luhn
from stdnum.cn import ric

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import OtpPurpose, Principal, Role
from fairlend.identity.ports import DevMessageSender

_phones = itertools.count(10_000_001)
_sequence = itertools.count(11)


def cn_id_number(born: date = date(1990, 3, 7), region: str = "110101", sequence: int | None = None) -> str:
    body = f"{region}{born:%Y%m%d}{(sequence if sequence is not None else next(_sequence)) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def cn_mobile() -> str:
    return f"139{next(_phones):08d}"


def dev_card(prefix: str = "62220000", length: int = 19) -> str:
    body = prefix + f"{next(_phones):0{length - len(prefix) - 1}d}"[-(length - len(prefix) - 1) :]
    return body + luhn.calc_check_digit(body)


def sender(container: Container) -> DevMessageSender:
    sent = container.identity.sender
    assert isinstance(sent, DevMessageSender)
    return sent


def code_for(container: Container, phone: str, purpose: OtpPurpose) -> str:
    e164 = container.identity.otp.phone(phone).e164
    code = sender(container).last_code(e164, purpose.value)
    assert code is not None
    return code


def sign_up(container: Container, phone: str | None = None, role: Role = Role.BORROWER) -> Principal:
    phone = phone or cn_mobile()
    container.identity.otp.send_code(phone, OtpPurpose.SIGN_UP)
    return container.identity.accounts.sign_up(phone, code_for(container, phone, OtpPurpose.SIGN_UP), role)


def verified_borrower(
    container: Container, *, name: str = "张三", born: date = date(1990, 3, 7)
) -> tuple[Principal, str, str]:
    """A borrower with a verified identity; returns (principal, phone, id number)."""
    phone = cn_mobile()
    who = sign_up(container, phone)
    number = cn_id_number(born)
    container.identity.kyc.verify_identity(who.subject_id, name, number, born)
    return who, phone, number


def later(clock: FixedClock, seconds: int = 61) -> None:
    clock.advance(timedelta(seconds=seconds))
