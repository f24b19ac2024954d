"""Drive the pages in headless Chromium (Debian's, never a downloaded browser)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pyotp
import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.identity.helpers import cn_id_number, cn_mobile, sign_up

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(container: Container) -> Iterator[str]:
    """The app over `container` on a free loopback port, in a thread, for as long as the block runs."""
    port = _free_port()
    config = uvicorn.Config(create_app(container=container), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(container: Container) -> Iterator[str]:
    with serving(container) as url:
        yield url


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context()
        yield context.new_page()
        context.close()
        browser.close()


TEXTS = {
    "zh-CN": {
        "sent": "验证码已发送",
        "phone": "手机号已验证",
        "identity": "身份已认证",
        "mismatch": "出生日期与身份证号不一致",
    },
    "en": {
        "sent": "We sent a 6-digit code",
        "phone": "Mobile number verified",
        "identity": "Identity verified",
        "mismatch": "The date of birth does not match",
    },
}


@pytest.mark.browser
@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_a_borrower_signs_up_and_verifies_identity_through_the_pages(server: str, page: Page, lang: str) -> None:
    texts = TEXTS[lang]
    phone = cn_mobile()
    page.goto(f"{server}/signup?role=borrower&lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.fill("input[name=phone]", phone)
    page.click("[data-testid=send-code]")
    expect(page.get_by_test_id("code-sent")).to_contain_text(texts["sent"])

    # A tester reads the code on the development page, as the issue asks.
    codes = page.context.new_page()
    codes.goto(f"{server}/dev/codes")
    row = codes.locator("tr", has_text=phone[-4:]).first
    code = row.locator("td.code").inner_text().strip()
    codes.close()
    assert len(code) == 6 and code.isdigit()

    page.fill("input[name=code]", code)
    page.click("[data-testid=submit-code]")
    page.wait_for_url(f"{server}/borrower")
    expect(page.get_by_test_id("levels")).to_contain_text(texts["phone"])

    page.goto(f"{server}/borrower/kyc")
    born = date(1988, 11, 23)
    page.fill("input[name=name]", "张三")
    page.fill("input[name=id_number]", cn_id_number(born))
    page.fill("input[name=birth_date]", "1988-11-24")
    page.click("[data-testid=identity-form] button")
    expect(page.get_by_test_id("error")).to_contain_text(texts["mismatch"])
    page.fill("input[name=name]", "张三")
    page.fill("input[name=id_number]", cn_id_number(born))
    page.fill("input[name=birth_date]", born.isoformat())
    page.click("[data-testid=identity-form] button")
    expect(page.get_by_test_id("levels")).to_contain_text(texts["identity"])
    expect(page.get_by_test_id("card-form")).to_be_visible()


@pytest.mark.browser
@pytest.mark.backends("sqlite")
def test_an_underwriter_rejects_a_certificate_and_the_borrower_sees_why(
    server: str, page: Page, container: Container, tmp_path: Path
) -> None:
    who = sign_up(container)
    token, _ = container.identity.tokens.issue(who)
    page.context.add_cookies([{"name": "fl_session", "value": token, "url": server}])
    scan = tmp_path / "salary.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    page.goto(f"{server}/borrower/certificates?lang=en")
    page.select_option("select[name=kind]", "salary_flow")
    page.fill("input[name=amount]", "12000")
    page.set_input_files("input[name=file]", str(scan))
    page.click("[data-testid=certificate-form] button")
    expect(page.get_by_test_id("certificates")).to_contain_text("Under review")

    made = container.identity.accounts.create_operator("una", "underwriter password", Role.UNDERWRITER)
    console = page.context.browser.new_context().new_page()  # type: ignore[union-attr]
    console.goto(f"{server}/operator/login?lang=zh-CN")
    console.fill("input[name=username]", "una")
    console.fill("input[name=password]", "underwriter password")
    console.fill("input[name=totp_code]", pyotp.TOTP(made.totp_secret).at(container.clock.now()))
    console.click("[data-testid=operator-login] button")
    console.wait_for_url(f"{server}/operator")
    console.goto(f"{server}/operator/review")
    row = console.get_by_test_id("queue").locator("tr", has_text=who.subject_id)
    row.locator("input[name=reason]").fill("扫描件不完整")
    row.locator("button.secondary").click()
    expect(console.get_by_test_id("queue")).to_contain_text("没有待审核的资产证明")
    console.context.close()

    page.reload()
    expect(page.get_by_test_id("certificates")).to_contain_text("Rejected")
    expect(page.get_by_test_id("certificates")).to_contain_text("扫描件不完整")
