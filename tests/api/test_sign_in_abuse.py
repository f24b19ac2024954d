"""Sign-in abuse through the HTTP API: the same attempts as found from outside, refused with stable codes."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.api.identity_helpers import dev_code
from tests.identity.helpers import cn_mobile

PROBLEM_JSON = "application/problem+json"
pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def stranger(container: Container) -> Iterator[TestClient]:
    """A client on another machine."""
    with TestClient(
        create_app(container=container), raise_server_exceptions=False, client=("203.0.113.9", 40000)
    ) as client:
        yield client


def test_one_client_asking_codes_for_fifteen_numbers_gets_ten(stranger: TestClient) -> None:
    answers = [stranger.post("/api/v1/auth/otp", json={"phone": cn_mobile(), "purpose": "sign_up"}) for _ in range(15)]
    assert [a.status_code for a in answers] == [202] * 10 + [429] * 5
    refused = answers[-1]
    assert refused.headers["content-type"] == PROBLEM_JSON and refused.json()["code"] == "code_send_client_budget"
    assert refused.headers["retry-after"] == "3600"


def test_a_locked_code_tells_when_to_ask_for_a_new_one(api: TestClient) -> None:
    phone = cn_mobile()
    assert api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"}).status_code == 202
    code = dev_code(api, phone)
    wrong = {"phone": phone, "code": f"{(int(code) + 1) % 1_000_000:06d}", "role": "borrower"}
    answers = [api.post("/api/v1/auth/sign-up", json=wrong) for _ in range(6)]
    assert [a.json()["code"] for a in answers] == ["code_wrong"] * 4 + ["code_locked"] * 2
    for locked in answers[4:]:
        assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
        assert locked.json()["retry_after"] == 60


def test_twelve_wrong_passwords_do_not_lock_the_admin_out(
    container: Container, api: TestClient, stranger: TestClient
) -> None:
    created = container.identity.accounts.create_operator("root", "the right password", Role.ADMIN)
    guess = {"username": "root", "password": "wrong password", "totp_code": "123456"}
    answers = [stranger.post("/api/v1/auth/operator-tokens", json=guess) for _ in range(12)]
    assert [a.status_code for a in answers] == [401] * 5 + [429] * 7
    assert answers[-1].json()["code"] == "operator_login_throttled" and int(answers[-1].headers["retry-after"]) > 0
    code = pyotp.TOTP(created.totp_secret).at(container.clock.now())
    admin = api.post(
        "/api/v1/auth/operator-tokens", json={"username": "root", "password": "the right password", "totp_code": code}
    )
    assert admin.status_code == 200, admin.text
    assert admin.json()["role"] == "admin"


def test_development_codes_are_shown_only_on_this_machine(
    api: TestClient, stranger: TestClient, container: Container
) -> None:
    phone = cn_mobile()
    api.post("/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"})
    assert dev_code(api, phone)  # loopback: the developer's own client
    for client, headers in ((stranger, {}), (api, {"X-Forwarded-For": "203.0.113.9"}), (api, {"Forwarded": "for=x"})):
        refused = client.get("/api/v1/dev/one-time-codes", headers=headers)
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM_JSON
        assert refused.json()["code"] == "dev_codes_loopback_only"
        assert phone[-4:] not in refused.text
    page = stranger.get("/dev/codes")
    assert page.status_code == 403 and "text/html" in page.headers["content-type"]
    assert "本机" in api.get("/dev/codes?lang=zh-CN").text
    description = api.get("/openapi.json").json()["paths"]["/api/v1/dev/one-time-codes"]["get"]["description"]
    assert "only to a client on this machine" in description
