"""Guessing one-time codes: a determined guesser gets at most 50 tries a day per number, and never the account.

Through every door that takes a code (API sign-up, API log-in, the log-in page, a
contact person's confirmation), a guesser asks for a code, tries five wrong
ones, then the right one, and asks again a minute later, all day. After the
fifth wrong try the code is locked (429 `code_locked`, the right code included),
and after ten codes the number gets no more that day (429
`code_send_daily_limit`): at most 10 x 5 = 50 guesses a day out of 1,000,000
codes, so a blind guesser wins with probability at most 1 in 20,000 a day per
number, and no try here signs anyone in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import OtpPurpose
from fairlend.identity.otp import MAX_WRONG_ATTEMPTS, SENDS_PER_DAY
from fairlend.identity.tables import identity_person
from fairlend.web.session import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from tests.identity.helpers import cn_mobile, code_for, sign_up

pytestmark = pytest.mark.backends("sqlite")

TOKEN = "c" * 43

# (status, code) of one try: the door's own way of saying it.
Try = Callable[[str], tuple[int, str]]


def _wrong(right: str, n: int) -> str:
    return f"{(int(right) + 1 + n) % 1_000_000:06d}"


def _guess_all_day(
    clock: FixedClock, send: Callable[[], tuple[int, str]], right: Callable[[], str], attempt: Try
) -> int:
    """Guess as hard as the limits allow for a day; returns how many guesses were let through to be checked."""
    guesses = 0
    for round_ in range(SENDS_PER_DAY + 1):
        status, code = send()
        if (status, code) == (429, "code_send_daily_limit"):
            break
        assert round_ < SENDS_PER_DAY and status in (200, 202), (round_, status, code)
        real = right()
        for n in range(MAX_WRONG_ATTEMPTS):
            result = attempt(_wrong(real, n))
            guesses += 1
            want = (429, "code_locked") if n == MAX_WRONG_ATTEMPTS - 1 else (422, "code_wrong")
            assert result == want, (round_, n, result)
        # The right code, once locked, opens nothing.
        assert attempt(real) == (429, "code_locked")
        clock.advance(timedelta(minutes=1, seconds=1))
    return guesses


def _problem(response: object) -> tuple[int, str]:
    status = getattr(response, "status_code", 0)
    body = response.json() if "json" in response.headers.get("content-type", "") else {}  # type: ignore[attr-defined]
    return status, str(body.get("code", ""))


def test_api_sign_up_and_log_in_lock_each_code_after_five_wrong_tries_and_cap_the_day(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    for purpose, path in ((OtpPurpose.SIGN_UP, "/api/v1/auth/sign-up"), (OtpPurpose.LOG_IN, "/api/v1/auth/tokens")):
        phone = cn_mobile()
        if purpose is OtpPurpose.LOG_IN:
            sign_up(container, phone)
            clock.advance(timedelta(minutes=2))

        def send(phone: str = phone, purpose: OtpPurpose = purpose) -> tuple[int, str]:
            return _problem(api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": purpose.value}))

        def attempt(code: str, phone: str = phone, path: str = path) -> tuple[int, str]:
            return _problem(api.post(path, json={"phone": phone, "code": code, "role": "borrower"}))

        guesses = _guess_all_day(clock, send, lambda p=phone, k=purpose: code_for(container, p, k), attempt)
        # Sign-up: ten codes of five tries. Log-in: the account's own sign-up code used one of the ten.
        assert guesses == (SENDS_PER_DAY - (purpose is OtpPurpose.LOG_IN)) * MAX_WRONG_ATTEMPTS
        clock.advance(timedelta(days=1))
    # Nobody was signed up by the guesser: only the one account the log-in door needed exists.
    with container.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(identity_person)).scalar() == 1


def test_the_log_in_page_locks_the_code_and_never_starts_a_session(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    phone = cn_mobile()
    sign_up(container, phone)
    clock.advance(timedelta(minutes=2))
    api.cookies.set(CSRF_COOKIE, TOKEN)

    english = {"Accept-Language": "en"}
    said = {
        "Too many wrong codes. Please request a new one.": (429, "code_locked"),
        "The code is wrong.": (422, "code_wrong"),
    }

    def send() -> tuple[int, str]:
        page = api.post("/login/code", data={"phone": phone, "role": "borrower", CSRF_FIELD: TOKEN}, headers=english)
        return page.status_code, ""

    def attempt(code: str) -> tuple[int, str]:
        page = api.post(
            "/login",
            data={"phone": phone, "code": code, "role": "borrower", CSRF_FIELD: TOKEN},
            headers=english,
            follow_redirects=False,
        )
        assert page.status_code == 200 and SESSION_COOKIE not in api.cookies, "a wrong or locked code signed in"
        (found,) = [result for text, result in said.items() if text in page.text]
        return found

    for _ in range(2):  # two rounds through the page; the API test above walks the whole day
        assert send()[0] == 200
        real = code_for(container, phone, OtpPurpose.LOG_IN)
        results = [attempt(_wrong(real, n)) for n in range(MAX_WRONG_ATTEMPTS)]
        assert results == [(422, "code_wrong")] * (MAX_WRONG_ATTEMPTS - 1) + [(429, "code_locked")]
        assert attempt(real) == (429, "code_locked")
        clock.advance(timedelta(minutes=1, seconds=1))


def test_a_contact_persons_confirmation_code_locks_too(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    assert container.collections is not None
    borrower = sign_up(container)
    phone = "+86" + cn_mobile()
    person = container.collections.service.name_contact_person(borrower.subject_id, "李四", "friend", phone, "", None)
    real = code_for(container, phone, OtpPurpose.CONFIRM_CONTACT)
    path = f"/api/v1/collections/contact-persons/{person.id}/confirm"
    results = [_problem(api.post(path, json={"code": _wrong(real, n)})) for n in range(MAX_WRONG_ATTEMPTS)]
    assert results[:-1] == [(403, "bad_code")] * (MAX_WRONG_ATTEMPTS - 1)
    assert results[-1] == (429, "code_locked")
    assert _problem(api.post(path, json={"code": real})) == (429, "code_locked")
    assert container.collections.service.contact_persons(borrower.subject_id)[0].status.value == "pending"
