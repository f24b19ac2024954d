"""Logging out of the web pages ends the session on the server, not just in the browser."""

import pyotp
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from fairlend.web.session import SESSION_COOKIE
from tests.identity.helpers import sign_up
from tests.web.helpers import csrf, sign_in


def test_a_replayed_cookie_after_log_out_goes_back_to_the_log_in_page(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    made = container.identity.accounts.create_operator("uma", "underwriter password", Role.UNDERWRITER)
    page = api.get("/operator/login")
    logged = api.post(
        "/operator/login",
        data={
            "username": "uma",
            "password": "underwriter password",
            "totp_code": pyotp.TOTP(made.totp_secret).at(clock.now()),
            "csrf_token": csrf(page.text),
        },
        follow_redirects=False,
    )
    assert logged.status_code == 303
    stolen = api.cookies[SESSION_COOKIE]
    home = api.get("/operator")
    assert home.status_code == 200
    out = api.post("/logout", data={"csrf_token": csrf(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert SESSION_COOKIE not in api.cookies
    api.cookies.set(SESSION_COOKIE, stolen)
    replay = api.get("/operator", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"] == "/operator/login"


def test_logging_out_in_one_browser_leaves_the_persons_other_sessions_signed_in(
    api: TestClient, container: Container
) -> None:
    who = sign_up(container)
    sign_in(api, container, who.subject_id, Role.BORROWER)
    other_browser = api.cookies[SESSION_COOKIE]
    sign_in(api, container, who.subject_id, Role.BORROWER)
    home = api.get("/borrower")
    assert home.status_code == 200
    api.post("/logout", data={"csrf_token": csrf(home.text)}, follow_redirects=False)
    api.cookies.set(SESSION_COOKIE, other_browser)
    assert api.get("/borrower", follow_redirects=False).status_code == 200


def test_a_revoke_all_signs_every_browser_out(api: TestClient, container: Container) -> None:
    who = sign_up(container)
    sign_in(api, container, who.subject_id, Role.BORROWER)
    assert api.get("/borrower", follow_redirects=False).status_code == 200
    container.identity.sessions.revoke_all(who.subject_id)
    gone = api.get("/borrower", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
