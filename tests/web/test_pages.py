import re
from datetime import date

import pyotp
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import OtpPurpose, Principal, Role
from fairlend.money import Money
from fairlend.web import i18n
from tests.identity.helpers import cn_id_number, cn_mobile, code_for, dev_card, sign_up

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def test_the_home_page_speaks_the_requested_language_and_remembers_it(api: TestClient) -> None:
    english = api.get("/?lang=en")
    assert english.status_code == 200 and 'lang="en"' in english.text and "cannot harass" in english.text
    assert api.get("/").text.count('lang="en"') == 1  # the cookie remembers
    chinese = api.get("/?lang=zh-CN")
    assert 'lang="zh-CN"' in chinese.text and "不会骚扰您的网络借贷" in chinese.text


def test_without_a_choice_accept_language_then_the_profile_decide(api: TestClient) -> None:
    assert 'lang="en"' in api.get("/", headers={"Accept-Language": "fr;q=1, en-GB;q=0.8"}).text
    api.cookies.clear()
    assert 'lang="zh-CN"' in api.get("/", headers={"Accept-Language": "zh-Hans-CN"}).text
    api.cookies.clear()
    assert 'lang="zh-CN"' in api.get("/").text  # the cn profile's locale


def test_both_catalogs_have_the_same_keys() -> None:
    assert set(i18n.catalog("en")) == set(i18n.catalog("zh-CN"))
    assert i18n.from_accept_language("de, zh-CN;q=0.5, en;q=0.9") == "en"


def test_the_stylesheet_is_served_from_the_package_and_no_page_uses_a_cdn(api: TestClient) -> None:
    css = api.get("/static/fairlend.css")
    assert css.status_code == 200 and "--accent" in css.text
    for path in ("/", "/signup", "/login", "/operator/login"):
        page = api.get(path)
        assert not re.search(r'(src|href)="(https?:)?//', page.text), path
        assert "default-src 'self'" in page.headers["content-security-policy"]


def test_a_borrower_signs_up_and_verifies_through_the_forms(api: TestClient, container: Container) -> None:
    page = api.get("/signup?role=borrower&lang=en")
    phone = cn_mobile()
    sent = api.post("/signup/code", data={"phone": phone, "role": "borrower", "csrf_token": _csrf(page.text)})
    assert sent.status_code == 200 and "We sent a 6-digit code" in sent.text
    code = code_for(container, phone, OtpPurpose.SIGN_UP)
    done = api.post(
        "/signup",
        data={"phone": phone, "code": code, "role": "borrower", "csrf_token": _csrf(sent.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/borrower"
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    portal = api.get("/borrower")
    assert "Mobile number verified" in portal.text
    kyc = api.get("/borrower/kyc")
    born = date(1991, 6, 1)
    verified = api.post(
        "/borrower/kyc/identity",
        data={
            "name": "张三",
            "id_number": cn_id_number(born),
            "birth_date": born.isoformat(),
            "csrf_token": _csrf(kyc.text),
        },
    )
    assert "Identity verified" in verified.text and "Real-name bank card" in verified.text
    bound = api.post("/borrower/kyc/bank-card", data={"card_number": dev_card(), "csrf_token": _csrf(verified.text)})
    assert "Bank card verified" in bound.text
    certificates = api.get("/borrower/certificates")
    uploaded = api.post(
        "/borrower/certificates",
        data={"kind": "salary_flow", "amount": "8500", "csrf_token": _csrf(certificates.text)},
        files={"file": ("flow.pdf", b"%PDF-1.4 flow", "application/pdf")},
    )
    assert "Under review" in uploaded.text and "8,500.00" in uploaded.text


def test_a_form_without_the_csrf_token_changes_nothing(api: TestClient, container: Container) -> None:
    api.get("/signup")
    phone = cn_mobile()
    refused = api.post("/signup/code", data={"phone": phone, "role": "borrower"}, follow_redirects=False)
    assert refused.status_code == 303 and "csrf" in refused.headers["location"]
    forged = api.post(
        "/signup/code", data={"phone": phone, "role": "borrower", "csrf_token": "x" * 43}, follow_redirects=False
    )
    assert forged.status_code == 303
    assert container.identity.sender.sent() == []  # type: ignore[attr-defined]


def test_errors_are_shown_in_the_page_language(api: TestClient) -> None:
    page = api.get("/signup?lang=zh-CN")
    wrong = api.post("/signup/code", data={"phone": "+12025550123", "role": "borrower", "csrf_token": _csrf(page.text)})
    assert "请使用本平台所在地区的手机号" in wrong.text


def test_portals_send_strangers_to_log_in_and_keep_roles_apart(api: TestClient, container: Container) -> None:
    assert api.get("/borrower", follow_redirects=False).headers["location"].startswith("/login")
    assert api.get("/operator/review", follow_redirects=False).headers["location"] == "/operator/login"
    token, _ = container.identity.tokens.issue(Principal("brw_someone", Role.BORROWER))
    api.cookies.set("fl_session", token)
    assert api.get("/operator/review", follow_redirects=False).headers["location"] == "/?denied=1"
    assert api.get("/investor", follow_redirects=False).headers["location"] == "/?denied=1"


def test_an_underwriter_logs_in_and_reviews_through_the_console(
    api: TestClient, container: Container, clock: FixedClock
) -> None:
    borrower = sign_up(container)
    cert = container.identity.certificates.upload(
        borrower.subject_id, "property", Money.of("900000", "CNY"), b"\x89PNG\r\n\x1a\nx"
    )
    made = container.identity.accounts.create_operator("uwe", "underwriter password", Role.UNDERWRITER)
    page = api.get("/operator/login?lang=en")
    logged = api.post(
        "/operator/login",
        data={
            "username": "uwe",
            "password": "underwriter password",
            "totp_code": pyotp.TOTP(made.totp_secret).at(clock.now()),
            "csrf_token": _csrf(page.text),
        },
        follow_redirects=False,
    )
    assert logged.status_code == 303 and logged.headers["location"] == "/operator"
    queue = api.get("/operator/review")
    assert cert.certificate_id in queue.text
    assert api.get(f"/operator/certificates/{borrower.subject_id}/{cert.certificate_id}").content.startswith(b"\x89PNG")
    api.post(
        f"/operator/review/{borrower.subject_id}/{cert.certificate_id}",
        data={"decision": "reject", "reason": "the scan is cut off", "csrf_token": _csrf(queue.text)},
    )
    assert container.identity.certificates.get(borrower.subject_id, cert.certificate_id).reason == "the scan is cut off"
