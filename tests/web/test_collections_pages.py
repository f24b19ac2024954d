"""The borrower's "contacts about me" page: the log with reasons, and both remedies as buttons."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.collections.fakes import InMemoryLending
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import LoanFacts, LoanState, Medium
from fairlend.collections.wiring import wire_collections
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.money import Money
from fairlend.web.session import SESSION_COOKIE
from tests.collections.conftest import LoanSettled
from tests.identity.helpers import sign_up

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in_borrower(api: TestClient, container: Container) -> str:
    who = sign_up(container)
    token, _ = container.identity.tokens.issue(who, WEB_SESSION_TTL)
    api.cookies.set(SESSION_COOKIE, token)
    return who.subject_id


def test_the_page_shows_blocked_contacts_after_repayment_and_takes_a_stop_request(
    api: TestClient, container: Container
) -> None:
    borrower_id = _signed_in_borrower(api, container)
    lending = InMemoryLending()
    lending.add(LoanFacts("loan_w", borrower_id, LoanState.ACTIVE, "CNY", Money(100, "CNY"), 5, "M1"))
    c = wire_collections(container, lending=lending)
    on = container.clock.business_date()
    with container.uow() as uow:
        uow.publish(LoanSettled("loan_w", borrower_id, on, True, on))
        uow.commit()
    blocked = c.gateway.attempt(ContactRequest("loan_w", Medium.CALL, collector_id="op_1"))
    assert "P-2" in blocked.rules

    page = api.get("/borrower/contacts?lang=zh-CN")
    assert page.status_code == 200
    assert blocked.log_id in page.text and "已拦截" in page.text and "该笔借款已结清" in page.text
    assert "哈希链完整" in page.text and "/borrower/contacts/evidence/loan_w.pdf" in page.text
    english = api.get("/borrower/contacts?lang=en")
    assert "the loan is settled" in english.text

    token = CSRF.search(page.text)
    assert token
    stopped = api.post(
        "/borrower/contacts/cease",
        data={"scope": "all", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert stopped.status_code == 303
    assert [r.scope for r in c.service.cease_requests(borrower_id)] == ["all"]
    complained = api.post(
        "/borrower/contacts/complaint",
        data={
            "loan_id": "loan_w",
            "category": "contact_after_repayment",
            "text": "repaid",
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )
    assert complained.status_code == 303 and len(c.complaints.list(borrower_id=borrower_id)) == 1
    pdf = api.get("/borrower/contacts/evidence/loan_w.pdf?lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_page_needs_a_signed_in_borrower(api: TestClient, container: Container) -> None:
    response = api.get("/borrower/contacts", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_contact_times_are_shown_in_the_borrowers_own_zone_with_the_zone_named(
    api: TestClient, container: Container
) -> None:
    borrower_id = _signed_in_borrower(api, container)
    lending = InMemoryLending()
    lending.add(LoanFacts("loan_z", borrower_id, LoanState.ACTIVE, "CNY", Money(100, "CNY"), 5, "M1"))
    c = wire_collections(container, lending=lending)
    attempt = c.gateway.attempt(ContactRequest("loan_z", Medium.SMS, collector_id="op_1"))
    at = next(x.at for x in c.service.contacts_about(borrower_id) if x.id == attempt.log_id)

    shanghai = api.get("/borrower/contacts?lang=en").text
    assert f"{at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M} (UTC+08:00)" in shanghai
    assert " UTC<" not in shanghai  # no bare UTC stamps left

    container.identity.accounts.set_timezone(borrower_id, "America/New_York")
    new_york = api.get("/borrower/contacts?lang=en").text
    local = at.astimezone(ZoneInfo("America/New_York"))
    offset = local.strftime("%z")
    assert f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})" in new_york
