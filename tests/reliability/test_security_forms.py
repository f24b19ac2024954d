"""Every state-changing page (a form POST): who may post it, the CSRF check, and the cookies.

FORMS classifies each form route (tests/reliability/test_security_routes.py fails on a
POST page missing here). For each one:

- signed out, a guarded form sends the browser to a log-in page; each role it is not
  for is sent to `/?denied=1` (a valid CSRF pair is sent, so the guard, not CSRF, decides);
- as a caller who may post it, a request without the CSRF token, with only the cookie,
  with only the field, or with a field that does not match the cookie is refused
  (`/?csrf=1`), and nothing in the database changes (every row of every table is
  compared before and after), although the form's fields are ones the handler would act on;
- the session and CSRF cookies are HttpOnly and SameSite=Lax, and Secure in production.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.api.auth import (
    CERTIFICATE_REVIEWERS,
    COLLECTORS,
    COMPLIANCE_READERS,
    EOD_RUNNERS,
    FINANCE_OFFICERS,
    HARDSHIP_OFFICERS,
    UNDERWRITERS,
)
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.db.schema import load_all
from fairlend.identity.model import Role
from fairlend.web.session import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE
from tests.identity.helpers import cn_mobile, dev_card
from tests.web.helpers import page_path, page_post_routes, sign_in

pytestmark = pytest.mark.backends("sqlite")

BORROWER = frozenset({Role.BORROWER})
INVESTOR = frozenset({Role.INVESTOR})
PEOPLE = frozenset({Role.BORROWER, Role.INVESTOR})
ANYONE = frozenset(Role)
OPERATOR_ROLES = frozenset(Role) - PEOPLE
TOKEN = "t" * 43


@dataclass(frozen=True)
class Form:
    path: str
    # Who may post it; None: anyone, signed in or not (signing up and in, logging out).
    allowed: frozenset[Role] | None
    # Fields the handler would act on, so that a missing CSRF check would show as a change.
    data: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)


PHONE = cn_mobile()
TERMS = {"amount": "30000", "term": "12"}
AUTOINVEST_RULE = {
    "grades": "A",
    "terms": "12",
    "min_rate": "0",
    "max_rate": "24",
    "amount_per_note": "200",
    "max_borrower_share": "100",
    "cash_reserve": "0",
    "enabled": "1",
}
HARDSHIP_TERMS = {"plan_kind": "term_extension", "periods": "3"}
HARDSHIP_ACCEPT = {
    "proposal_id": "hpr_x",
    "fingerprint": "f" * 64,
    "consent_version": "hardship-consent-v1",
    "form_key": "k" * 32,
    "agreed": "1",
}
FORMS = [
    Form("/signup/code", None, {"phone": PHONE, "role": "borrower"}),
    Form("/signup", None, {"phone": PHONE, "code": "123456", "role": "borrower"}),
    Form("/login/code", None, {"phone": PHONE, "role": "borrower"}),
    Form("/login", None, {"phone": PHONE, "code": "123456", "role": "borrower"}),
    Form("/operator/login", None, {"username": "admin", "password": "an admin password", "totp_code": "123456"}),
    Form("/logout", None),
    Form(
        "/borrower/kyc/identity",
        PEOPLE,
        {"name": "张三", "id_number": "11010119900307002X", "birth_date": "1990-03-07"},
    ),
    Form("/borrower/kyc/bank-card", PEOPLE, {"card_number": dev_card()}),
    Form(
        "/borrower/certificates",
        BORROWER,
        {"kind": "salary_flow", "amount": "8500"},
        {"file": ("flow.pdf", b"%PDF-1.4 flow\n%%EOF", "application/pdf")},
    ),
    Form("/operator/review/{person_id}/{certificate_id}", CERTIFICATE_REVIEWERS, {"decision": "approve"}),
    Form("/borrower/contacts/cease", BORROWER, {"scope": "all"}),
    Form(
        "/borrower/contacts/complaint",
        BORROWER,
        {"loan_id": "loan_x", "category": "harassment", "text": "they called my mother"},
    ),
    Form("/borrower/loans/{loan_id}/repay", BORROWER, {"amount": "100", "pay_key": "k" * 32}),
    Form("/borrower/credit/consent", BORROWER, {"consent": "1"}),
    Form("/borrower/apply/prequalify", BORROWER, {**TERMS, "self_check_consent": "1"}),
    Form("/borrower/apply/disclosure", BORROWER, TERMS),
    Form("/borrower/apply", BORROWER, {**TERMS, "acknowledged": "1", "consent": "1"}),
    Form("/borrower/offers/{offer_id}/accept", BORROWER, {"agreed": "1"}),
    Form("/operator/applications/{application_id}", UNDERWRITERS, {"decision": "decline", "note": "thin file"}),
    Form("/borrower/contact-persons", BORROWER, {"name": "李四", "relation": "朋友", "phone": cn_mobile()}),
    Form("/borrower/contact-persons/{contact_id}/{action}", BORROWER),
    Form("/investor/agreement", INVESTOR, {"agreement": "1", "net_worth": "100000"}),
    Form("/investor/wallet/{action}", INVESTOR, {"amount": "100", "form_key": "k" * 32}),
    Form("/investor/listings/{listing_id}/invest", INVESTOR, {"amount": "50", "form_key": "k" * 32}),
    Form("/investor/autoinvest", INVESTOR, {**AUTOINVEST_RULE, "form_key": "k" * 32}),
    Form("/investor/autoinvest/{rule_id}", INVESTOR, AUTOINVEST_RULE),
    Form("/investor/autoinvest/{rule_id}/delete", INVESTOR),
    Form("/investor/market/orders", INVESTOR, {"note_id": "note_x", "premium": "0", "form_key": "k" * 32}),
    Form("/investor/market/orders/{order_id}/cancel", INVESTOR, {"form_key": "k" * 32}),
    Form("/investor/market/orders/{order_id}/buy", INVESTOR, {"form_key": "k" * 32, "max_price": "100"}),
    Form("/investor/investments/{commitment_id}/revoke", INVESTOR),
    Form("/investor/entry-test", INVESTOR, {"loss": "everything", "yearly_income": "0", "liquid_assets": "100"}),
    Form("/operator/collections/loans/{loan_id}/attempt", COLLECTORS, {"medium": "sms", "template": "reminder"}),
    Form("/operator/collections/loans/{loan_id}/outcome", COLLECTORS, {"log_id": "x", "result": "answered"}),
    Form("/operator/collections/loans/{loan_id}/promise", COLLECTORS, {"due_on": "2026-03-05", "amount": "100"}),
    Form("/operator/compliance/complaints/{complaint_id}/acknowledge", COMPLIANCE_READERS),
    Form("/operator/compliance/complaints/{complaint_id}/extend", COMPLIANCE_READERS, {"reason": "more time"}),
    Form("/operator/compliance/complaints/{complaint_id}/answer", COMPLIANCE_READERS, {"answer": "answered"}),
    Form(
        "/operator/compliance/disputes/{dispute_id}/answer", COMPLIANCE_READERS, {"outcome": "verified", "note": "ok"}
    ),
    Form("/borrower/loans/{loan_id}/hardship", BORROWER, {"plan_kind": "term_extension", "reason": "other"}),
    Form("/borrower/hardship/{request_id}/accept", BORROWER, HARDSHIP_ACCEPT),
    Form(
        "/borrower/hardship/{request_id}/evidence",
        BORROWER,
        files={"file": ("payslip.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "image/png")},
    ),
    Form("/operator/hardship/requests/{request_id}/preview", HARDSHIP_OFFICERS, HARDSHIP_TERMS),
    Form("/operator/hardship/requests/{request_id}/propose", HARDSHIP_OFFICERS, HARDSHIP_TERMS),
    Form("/operator/hardship/requests/{request_id}/proposals/{proposal_id}/approve", HARDSHIP_OFFICERS),
    Form("/operator/hardship/requests/{request_id}/proposals/{proposal_id}/reject", HARDSHIP_OFFICERS),
    Form("/operator/hardship/requests/{request_id}/decline", HARDSHIP_OFFICERS, {"reasons": "other"}),
    Form("/operator/eod/{business_date}/partitions/{number}/retry", EOD_RUNNERS),
    Form("/operator/finance/close", FINANCE_OFFICERS, {"month": "2026-02"}),
    Form("/operator/finance/reopen", FINANCE_OFFICERS, {"month": "2026-02", "reason": "a late invoice"}),
    Form("/operator/finance/reopen/{request_id}/approve", FINANCE_OFFICERS),
    Form("/operator/finance/reopen/{request_id}/refuse", FINANCE_OFFICERS),
]
FORM_PATHS = {f.path: f for f in FORMS}


def _routes() -> list[tuple[APIRoute, Form]]:
    routes = page_post_routes()
    return [(route, FORM_PATHS[route.path]) for route in routes if route.path in FORM_PATHS]


def fingerprint(container: Container) -> str:
    """Every row of every table, hashed: equal fingerprints, unchanged database."""
    digest = hashlib.sha256()
    with container.engine.connect() as conn:
        for table in load_all().sorted_tables:
            rows = sorted(repr(tuple(r)) for r in conn.execute(sa.select(table)))
            digest.update(f"{table.name}:{len(rows)}:".encode() + "\n".join(rows).encode())
    return digest.hexdigest()


@pytest.fixture
def pages(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=container), follow_redirects=False) as client:
        yield client


def _post(client: TestClient, route: APIRoute, form: Form, csrf: str | None) -> tuple[int, str]:
    data = dict(form.data)
    if csrf is not None:
        data[CSRF_FIELD] = csrf
    sent = client.post(page_path(route), data=data, files=form.files or None)
    return sent.status_code, sent.headers.get("location", "")


def test_every_form_page_is_in_the_table() -> None:
    assert sorted(r.path for r in page_post_routes()) == sorted(FORM_PATHS)


def test_a_guarded_form_sends_the_signed_out_to_log_in_and_every_other_role_away(
    pages: TestClient, container: Container
) -> None:
    wrong: list[str] = []
    for route, form in _routes():
        if form.allowed is None:
            continue
        pages.cookies.clear()
        pages.cookies.set(CSRF_COOKIE, TOKEN)
        status, location = _post(pages, route, form, TOKEN)
        if status != 303 or "login" not in location:
            wrong.append(f"{form.path} signed out -> {status} {location}")
        for role in sorted(Role):
            sign_in(pages, container, f"someone_{role.value}", role)
            pages.cookies.set(CSRF_COOKIE, TOKEN)
            status, location = _post(pages, route, form, TOKEN)
            refused = (status, location) == (303, "/?denied=1")
            # A form on a record ({loan_id}, ...) refuses the record's non-owners too: "x" is nobody's.
            owned_elsewhere = refused and "{" in form.path
            if role in form.allowed and not owned_elsewhere and (refused or "login" in location or "csrf" in location):
                wrong.append(f"{form.path} as {role.value} -> {status} {location}, want allowed")
            if role not in form.allowed and not refused:
                wrong.append(f"{form.path} as {role.value} -> {status} {location}, want /?denied=1")
    pages.cookies.clear()
    assert wrong == [], "\n".join(wrong)


def test_no_form_acts_without_a_matching_csrf_token_and_nothing_changes(
    pages: TestClient, container: Container
) -> None:
    before = fingerprint(container)
    # (cookie, field): none at all, the cookie only, the field only, and a field that is not the cookie's.
    attempts = [(None, None), (TOKEN, None), (None, TOKEN), (TOKEN, "u" * 43)]
    wrong: list[str] = []
    for route, form in _routes():
        caller = min(form.allowed) if form.allowed else None
        for cookie, sent in attempts:
            pages.cookies.clear()
            if caller is not None:
                sign_in(pages, container, f"someone_{caller.value}", caller)
            if cookie is not None:
                pages.cookies.set(CSRF_COOKIE, cookie)
            status, location = _post(pages, route, form, sent)
            if (status, location) != (303, "/?csrf=1"):
                wrong.append(f"{form.path} cookie={cookie is not None} field={sent is not None} -> {status} {location}")
    pages.cookies.clear()
    assert wrong == []
    assert fingerprint(container) == before


def test_the_fingerprint_sees_what_a_form_with_its_token_changes(pages: TestClient, container: Container) -> None:
    """The oracle bites: the same sign-up form with its token sends a code, and the database shows it."""
    before = fingerprint(container)
    pages.cookies.set(CSRF_COOKIE, TOKEN)
    sent = pages.post("/signup/code", data={"phone": cn_mobile(), "role": "borrower", CSRF_FIELD: TOKEN})
    assert sent.status_code == 200
    assert fingerprint(container) != before


def _cookie_flags(response_headers: list[tuple[str, str]], name: str) -> set[str]:
    """The attributes of the Set-Cookie for `name` that say how it may travel (lower case)."""
    for key, value in response_headers:
        if key.lower() == "set-cookie" and value.startswith(name + "="):
            attributes = (a.strip().lower() for a in value.split(";")[1:])
            return {a for a in attributes if not a.startswith(("max-age", "path", "expires"))}
    raise AssertionError(f"no {name} cookie set")


def _operator_log_in(client: TestClient, container: Container, clock: FixedClock) -> list[tuple[str, str]]:
    made = container.identity.accounts.create_operator("cookie_admin", "an admin password", Role.ADMIN)
    page = client.get("/operator/login")
    csrf_cookie = _cookie_flags(page.headers.multi_items(), CSRF_COOKIE)
    token = client.cookies[CSRF_COOKIE]
    logged = client.post(
        "/operator/login",
        data={
            "username": "cookie_admin",
            "password": "an admin password",
            "totp_code": pyotp.TOTP(made.totp_secret).at(clock.now()),
            CSRF_FIELD: token,
        },
    )
    assert logged.status_code == 303, logged.text
    assert csrf_cookie
    return page.headers.multi_items() + logged.headers.multi_items()


def test_session_and_csrf_cookies_are_httponly_and_samesite_and_not_secure_over_plain_http_in_development(
    pages: TestClient, container: Container, clock: FixedClock
) -> None:
    headers = _operator_log_in(pages, container, clock)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        flags = _cookie_flags(headers, name)
        assert {"httponly", "samesite=lax"} <= flags and "secure" not in flags, (name, flags)


def test_in_production_both_cookies_are_secure_too(tmp_path: object, clock: FixedClock) -> None:
    import base64

    settings = Settings(
        environment="production",
        database_url=f"sqlite:///{tmp_path}/prod.db",
        data_dir=tmp_path,  # type: ignore[arg-type]
        secret_key="a-production-secret-key-0123456789",
        pii_keys="p1:" + base64.b64encode(b"p" * 32).decode(),
        blind_index_key="a-production-index-key",
    )
    container = bootstrap(settings, clock=clock)
    upgrade(container.engine)
    try:
        # Secure cookies travel only over https: the client must speak https to send them back.
        with TestClient(
            create_app(container=container), base_url="https://fairlend.test", follow_redirects=False
        ) as client:
            headers = _operator_log_in(client, container, clock)
            for name in (SESSION_COOKIE, CSRF_COOKIE):
                flags = _cookie_flags(headers, name)
                assert {"httponly", "samesite=lax", "secure"} <= flags, (name, flags)
            assert client.get("/operator").status_code == 200  # the secure session works over https
    finally:
        container.close()
