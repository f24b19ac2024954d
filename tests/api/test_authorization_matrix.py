"""The authorization matrix beyond identity: lending, scoring, origination, collections, the bureau.

DESIGN invariant 6: a user reads only what their role and ownership allow. For
every endpoint: the owner may (or may not) call it, another borrower and an
investor are refused (403, or 404 where someone else's record looks missing),
every operator role is allowed or refused (403) as the policy says, and a call
without a token is 401. An allowed call may still fail on the merits (409, 422)
but never with 401/403/404. Refused callers go first, so an allowed call that
changes state (accepting an offer, a repayment) cannot hide a refusal.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from fairlend.api.auth import AUDIT_READERS, COLLECTIONS_READERS, COMPLIANCE_READERS, LOAN_OFFICERS, UNDERWRITERS
from fairlend.bootstrap import Container
from fairlend.collections.fakes import InMemoryContactPoints, InMemoryLending
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import ComplaintCategory, LoanFacts, LoanState, Medium
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.api.problems import refusal
from tests.bureau.conftest import ID_CN, Records, lines
from tests.conftest import FakeAuthenticator
from tests.lending.conftest import BASE as CASH12
from tests.origination.support import solid_borrower, wire

OWNER, OTHER = "brw_owner", "brw_other"
EVERYONE = frozenset(Role)
STAFF = frozenset(Role) - {Role.BORROWER, Role.INVESTOR}
ONLY_OWNER: frozenset[Role] = frozenset()
BORROWERS_THEMSELVES = frozenset({Role.BORROWER})  # no owner in the path: the caller's own records
COLLECTORS = frozenset({Role.COLLECTOR, Role.ADMIN})
PDF = b"%PDF-1.4\n%%EOF\n"
PAYMENTS = b"loan_reference,amount,value_date,external_reference\nloan_nobody,1.00,2026-03-02,PSP-MATRIX\n"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {loan}, {pid}, {app}, {offer}, {cp}, {cmp} are filled in from the seeded resources
    # Roles that may call it on someone else's resource (BORROWER here means any borrower: self-scoped).
    allowed: frozenset[Role]
    owner_may: bool
    body: dict[str, Any] = field(default_factory=dict)


def _json(body: dict[str, Any]) -> dict[str, Any]:
    return {"json": body}


LENDING = [
    Endpoint("GET", "/api/v1/products", EVERYONE, True),
    Endpoint("GET", "/api/v1/products/{product}", EVERYONE, True),
    Endpoint("POST", "/api/v1/products", frozenset({Role.ADMIN}), False, _json(CASH12.to_dict())),
    Endpoint("POST", "/api/v1/quotes", EVERYONE, True, _json({"product_code": "cash-12", "amount": "1000"})),
    Endpoint(
        "POST",
        "/api/v1/loans",
        LOAN_OFFICERS,
        False,
        _json({"borrower_id": OWNER, "product_code": "cash-12", "amount": "1000"}),
    ),
    Endpoint("GET", "/api/v1/loans/{loan}", STAFF, True),
    Endpoint("GET", "/api/v1/borrowers/{pid}/loans", STAFF, True),
    Endpoint("GET", "/api/v1/loans/{loan}/payoff", STAFF, True),
    # Moving money on a loan: its borrower or a loan officer, not a collector, compliance or an investor.
    Endpoint("POST", "/api/v1/loans/{loan}/repayments", LOAN_OFFICERS, True, _json({"amount": "10"})),
    # A processor's file pays many borrowers' loans: loan officers only, never a borrower, not even the owner.
    Endpoint("POST", "/api/v1/repayment-files", LOAN_OFFICERS, False, {"files": {"file": ("p.csv", PAYMENTS)}}),
    Endpoint("GET", "/api/v1/repayment-files/{rpf}", LOAN_OFFICERS, False),
    # Changes inside a schedule are the lender's: loan officers only, never the borrower who owns the loan.
    Endpoint("POST", "/api/v1/loans/{loan}/rate-changes", LOAN_OFFICERS, False, _json({"rate": "0.12"})),
    Endpoint(
        "POST",
        "/api/v1/loans/{loan}/balance-corrections",
        LOAN_OFFICERS,
        False,
        _json({"reduce_by": "1", "reason": "typo"}),
    ),
    Endpoint("POST", "/api/v1/loans/{loan}/tranches", LOAN_OFFICERS, False, _json({"amount": "1"})),
]

SCORING_AND_ORIGINATION = [
    Endpoint("GET", "/api/v1/scoring/model", EVERYONE, True),
    Endpoint("GET", "/api/v1/scoring/history", BORROWERS_THEMSELVES, True),
    Endpoint("POST", "/api/v1/scoring/what-if", BORROWERS_THEMSELVES, True, _json({"verify_phone": True})),
    Endpoint("POST", "/api/v1/origination/self-check", BORROWERS_THEMSELVES, True),
    Endpoint(
        "POST",
        "/api/v1/origination/prequalify",
        BORROWERS_THEMSELVES,
        True,
        _json({"amount": "30000", "term_months": 12}),
    ),
    Endpoint("GET", "/api/v1/origination/inquiry-disclosure", BORROWERS_THEMSELVES, True),
    Endpoint(
        "POST",
        "/api/v1/origination/applications",
        BORROWERS_THEMSELVES,
        True,
        _json({"amount": "30000", "term_months": 12, "inquiry_disclosure_acknowledged": True}),
    ),
    Endpoint("GET", "/api/v1/origination/applications/{app}", ONLY_OWNER, True),
    Endpoint("GET", "/api/v1/origination/offers/{offer}", ONLY_OWNER, True),
    Endpoint("POST", "/api/v1/origination/offers/{offer}/accept", ONLY_OWNER, True, _json({"agreed": True})),
    Endpoint("GET", "/api/v1/origination/underwriting/queue", UNDERWRITERS, False),
    Endpoint("POST", "/api/v1/origination/underwriting/{app}/decision", UNDERWRITERS, False, _json({"approve": False})),
]

C = "/api/v1/collections"
COLLECTIONS = [
    Endpoint("GET", C + "/borrowers/{pid}/contacts", COLLECTIONS_READERS, True),
    Endpoint("GET", C + "/borrowers/{pid}/cease-requests", COLLECTIONS_READERS, True),
    Endpoint("POST", C + "/borrowers/{pid}/cease-requests", ONLY_OWNER, True, _json({"scope": "all"})),
    Endpoint("PUT", C + "/borrowers/{pid}/window-consent", ONLY_OWNER, True, _json({"start": "09:00", "end": "20:00"})),
    Endpoint("GET", C + "/borrowers/{pid}/contact-persons", COLLECTIONS_READERS, True),
    Endpoint(
        "POST",
        C + "/borrowers/{pid}/contact-persons",
        ONLY_OWNER,
        True,
        _json({"name": "李四", "relation": "friend", "phone": "+8613912345679"}),
    ),
    Endpoint("POST", C + "/borrowers/{pid}/contact-persons/{cp}/resend-code", ONLY_OWNER, True),
    Endpoint("POST", C + "/borrowers/{pid}/contact-persons/{cp}/revoke", ONLY_OWNER, True),
    Endpoint(
        "POST",
        C + "/borrowers/{pid}/complaints",
        ONLY_OWNER,
        True,
        _json({"loan_id": "{loan}", "category": "harassment", "text": "they called my mother"}),
    ),
    # Complaints are for the borrower and compliance: never the collectors they complain about.
    Endpoint("GET", C + "/borrowers/{pid}/complaints", COMPLIANCE_READERS, True),
    Endpoint("GET", C + "/complaints/{cmp}", COMPLIANCE_READERS, True),
    Endpoint(
        "POST",
        C + "/complaints/{cmp}/attachments",
        ONLY_OWNER,
        True,
        {"files": {"file": ("call.pdf", PDF, "application/pdf")}},
    ),
    Endpoint("GET", C + "/borrowers/{pid}/loans/{loan}/evidence.pdf", COMPLIANCE_READERS, True),
    Endpoint("GET", C + "/queue", COLLECTIONS_READERS, False),
    Endpoint("POST", C + "/attempts", COLLECTORS, False, _json({"loan_id": "{loan}", "medium": "sms"})),
    # The collector's desk: compliance audits the work and never does it.
    Endpoint("GET", C + "/desk/queue", COLLECTORS, False),
    Endpoint("GET", C + "/loans/{loan}/allowed-now", COLLECTORS, False),
    Endpoint("POST", C + "/attempts/{call}/outcome", COLLECTORS, False, _json({"outcome": "no_answer"})),
    Endpoint("POST", C + "/loans/{loan}/promises", COLLECTORS, False, _json({"due_on": "{today}", "amount": "100.00"})),
    Endpoint("GET", C + "/loans/{loan}/promises", COLLECTORS, False),
    Endpoint("GET", C + "/compliance/summary", COMPLIANCE_READERS, False),
    Endpoint("GET", C + "/compliance/complaints", COMPLIANCE_READERS, False),
    Endpoint("POST", C + "/complaints/{cmp}/acknowledge", COMPLIANCE_READERS, False),
    Endpoint("POST", C + "/complaints/{cmp}/answer", COMPLIANCE_READERS, False, _json({"answer": "we stopped"})),
    Endpoint(
        "POST", C + "/complaints/{cmp}/extend", COMPLIANCE_READERS, False, _json({"reason": "we need the call records"})
    ),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if "{" in value and "}" in value and value.count("{") == 1 else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _check(api: TestClient, auth: FakeAuthenticator, endpoints: list[Endpoint], ids: dict[str, str]) -> list[str]:
    """Every endpoint against every caller; the mismatches, as readable lines."""
    wrong: list[str] = []
    calls = 0
    for ep in endpoints:
        path = ep.path.format(**ids)
        body = {k: (_fill(v, ids) if k == "json" else v) for k, v in ep.body.items()}

        def call(headers: dict[str, str], ep: Endpoint = ep, path: str = path, body: dict[str, Any] = body) -> int:
            nonlocal calls
            calls += 1
            key = {"Idempotency-Key": f"matrix-{calls}"}
            return api.request(ep.method, path, headers={**headers, **key}, **body).status_code

        callers: list[tuple[str, Role, str, bool]] = [
            ("other borrower", Role.BORROWER, OTHER, Role.BORROWER in ep.allowed),
            ("investor", Role.INVESTOR, "inv_1", Role.INVESTOR in ep.allowed),
        ]
        callers += [(role.value, role, f"op_{role.value}", role in ep.allowed) for role in sorted(STAFF)]
        callers.append(("owner", Role.BORROWER, OWNER, ep.owner_may))
        callers.sort(key=lambda c: c[3])  # refusals first
        anonymous = call({})
        if anonymous != 401:
            wrong.append(f"{ep.method} {ep.path}: no token -> {anonymous}, want 401")
        for who, role, subject, may in callers:
            status = call(auth.headers(role, subject))
            if may and status in (401, 403, 404):
                wrong.append(f"{ep.method} {ep.path}: {who} -> {status}, want allowed")
            refused = (403, 404) if who in ("other borrower", "owner") else (403,)
            if not may and status not in refused:
                wrong.append(f"{ep.method} {ep.path}: {who} -> {status}, want {refused}")
    return wrong


def _loan(container: Container) -> str:
    container.lending.products.define(CASH12)
    return container.lending.book_loan(OWNER, "cash-12", Money.of(10_000, "CNY"))


def test_lending_scoring_and_origination_answer_only_the_owner_and_the_roles_allowed(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    loan = _loan(container)
    world = wire(container)
    solid_borrower(world, OWNER)
    solid_borrower(world, OTHER)
    view = world.service.apply(
        OWNER, Money.of(30_000, "CNY"), 12, inquiry_disclosure_acknowledged=True, stated_monthly_income=None
    )
    assert view.offer_id is not None
    rpf = container.lending.files.import_file(io.BytesIO(PAYMENTS + b"\n"), name="f.csv", imported_by="op_x").file_id
    ids = {"loan": loan, "pid": OWNER, "app": view.id, "offer": view.offer_id, "product": CASH12.code, "rpf": rpf}
    assert _check(api, fake_auth, LENDING + SCORING_AND_ORIGINATION, ids) == []


def test_collections_answer_only_the_borrower_and_the_roles_allowed(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from tests.collections.conftest import wire_fakes

    loan = _loan(container)
    wired = wire_fakes(container)
    cast(InMemoryLending, wired.lending).add(
        LoanFacts(loan, OWNER, LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1")
    )
    cast(InMemoryContactPoints, wired.contact_points).add(OWNER, "+8613812345678")
    person = wired.service.name_contact_person(OWNER, "张三", "sister", "+8613912345678", "", None)
    call = wired.gateway.attempt(ContactRequest(loan, Medium.CALL, collector_id="op_collector"))
    complaint = wired.complaints.file(OWNER, loan, ComplaintCategory.HARASSMENT, "calls at night")
    today = container.clock.business_date().isoformat()
    ids = {"loan": loan, "pid": OWNER, "cp": person.id, "cmp": complaint.id, "call": call.log_id, "today": today}
    assert _check(api, fake_auth, COLLECTIONS, ids) == []


def test_another_borrower_cannot_use_the_owners_loan_in_their_own_requests(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from tests.collections.conftest import wire_fakes

    loan = _loan(container)
    wired = wire_fakes(container)
    cast(InMemoryLending, wired.lending).add(
        LoanFacts(loan, OWNER, LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1")
    )
    other = fake_auth.headers(Role.BORROWER, OTHER)
    mine = f"{C}/borrowers/{OTHER}"
    complaint = api.post(
        f"{mine}/complaints",
        json={"loan_id": loan, "category": "harassment", "text": "x"},
        headers={**other, "Idempotency-Key": "k"},
    )
    cease = api.post(
        f"{mine}/cease-requests", json={"scope": "all", "loan_id": loan}, headers={**other, "Idempotency-Key": "c"}
    )
    evidence = api.get(f"{mine}/loans/{loan}/evidence.pdf", headers=other)
    statuses = [r.status_code for r in (complaint, cease, evidence)]
    assert all(s in (403, 404) for s in statuses), (statuses, complaint.text, cease.text)


@pytest.mark.parametrize("path", ["/api/v1/bureau/disputes", "/api/v1/bureau/disputes/open-check"])
def test_the_bureau_needs_an_institutions_key(api: TestClient, container: Container, path: str) -> None:
    assert refusal(api.get(path, params={"institution_id": "x", "account_ref": "L1"})) == (401, "api_key_required")


def test_an_institution_sees_and_answers_only_disputes_about_its_own_accounts(
    container: Container, api: TestClient
) -> None:
    assert container.bureau is not None
    a = container.bureau.register_institution("Bank A")
    b = container.bureau.register_institution("Bank B")
    bank_a = {"Authorization": f"ApiKey {a.api_key}"}
    bank_b = {"Authorization": f"ApiKey {b.api_key}"}
    sent = api.post("/api/v1/bureau/files", content=lines(Records("L1").opened(date(2026, 1, 5))), headers=bank_a)
    assert sent.status_code == 200, sent.text
    filed = api.post(
        "/api/v1/bureau/disputes",
        json={"id_number": ID_CN, "institution_id": a.institution_id, "account_ref": "L1", "reason": "not mine"},
        headers=bank_a,
    )
    assert filed.status_code == 201, filed.text
    dispute_id = filed.json()["dispute_id"]

    assert [d["dispute_id"] for d in api.get("/api/v1/bureau/disputes", headers=bank_a).json()] == [dispute_id]
    assert api.get("/api/v1/bureau/disputes", headers=bank_b).json() == []
    check = {"institution_id": a.institution_id, "account_ref": "L1"}
    assert api.get("/api/v1/bureau/disputes/open-check", params=check, headers=bank_a).json() == {"open": True}
    assert refusal(api.get("/api/v1/bureau/disputes/open-check", params=check, headers=bank_b)) == (
        403,
        "not_your_account",
    )
    answer = {"outcome": "deleted", "note": "our mistake"}
    assert refusal(api.post(f"/api/v1/bureau/disputes/{dispute_id}/answer", json=answer, headers=bank_b)) == (
        404,
        "no_such_dispute",
    )
    answered = api.post(f"/api/v1/bureau/disputes/{dispute_id}/answer", json=answer, headers=bank_a)
    assert answered.status_code == 200, answered.text

    # What the person was told about a dispute over Bank A's record is Bank A's and the person's, not Bank B's.
    told_a = api.post("/api/v1/bureau/notices/query", json={"id_number": ID_CN}, headers=bank_a)
    told_b = api.post("/api/v1/bureau/notices/query", json={"id_number": ID_CN}, headers=bank_b)
    assert told_a.status_code == 200 and [n["dispute_id"] for n in told_a.json()] == [dispute_id]
    assert told_b.status_code == 200 and told_b.json() == []


# -- the bureau: a person's report only with their consent, or to a lender they have an account with ----

# Every bureau route that answers with a credit report, and the purpose it asks for.
BUREAU_REPORTS = [
    *[("/api/v1/bureau/self-queries", "self", fmt) for fmt in ("json", "html", "pdf")],
    *[
        ("/api/v1/bureau/inquiries", purpose, "json")
        for purpose in ("self", "loan_approval", "credit_card_approval", "post_loan_management")
    ],
]
SOMEONE_ELSE = "11010119900307002X"


def _attestation(institution_id: str, purpose: str, id_number: str = ID_CN) -> dict[str, Any]:
    return {
        "consent_id": f"cons_{institution_id}_{purpose}",
        "purpose": purpose,
        "institution_id": institution_id,
        "person_id_number": id_number,
        "text_version": "v1",
        "granted_at": "2026-03-01T00:00:00Z",
    }


def test_no_institution_reads_a_persons_report_without_their_consent_or_an_account_with_them(
    container: Container, api: TestClient
) -> None:
    """CN-14: an institution's key alone opens no one's report. Each report route, for a lender
    the person has an account with (A) and one they have not (B), with no consent, with the
    caller's own consent for the purpose, and with consents that are someone else's."""
    assert container.bureau is not None
    a = container.bureau.register_institution("Bank A")
    b = container.bureau.register_institution("Bank B")
    keys = {a.institution_id: a.api_key, b.institution_id: b.api_key}
    sent = api.post(
        "/api/v1/bureau/files",
        content=lines(Records("L1").opened(date(2026, 1, 5))),
        headers={"Authorization": f"ApiKey {a.api_key}"},
    )
    assert sent.status_code == 200, sent.text
    wrong: list[str] = []
    for path, purpose, fmt in BUREAU_REPORTS:
        for caller, other in ((a.institution_id, b.institution_id), (b.institution_id, a.institution_id)):
            consents: dict[str, dict[str, Any] | None] = {
                "none": None,
                "own": _attestation(caller, purpose),
                "given to the other bank": _attestation(other, purpose),
                "another person's": _attestation(caller, purpose, SOMEONE_ELSE),
                "for another purpose": _attestation(caller, "credit_card_approval" if purpose == "self" else "self"),
            }
            for case, consent in consents.items():
                body: dict[str, Any] = {"id_number": ID_CN, "consent": consent}
                if path.endswith("/inquiries"):
                    body["purpose"] = purpose
                got = api.post(
                    path, params={"format": fmt}, json=body, headers={"Authorization": f"ApiKey {keys[caller]}"}
                )
                # Post-loan management: the lender's own borrower, whatever the consent; else the caller's own consent.
                may = caller == a.institution_id if purpose == "post_loan_management" else case == "own"
                bank = "A" if caller == a.institution_id else "B"
                where = f"{path}?format={fmt} {purpose} by bank {bank} with consent {case}"
                if may and got.status_code != 200:
                    wrong.append(f"{where}: {got.status_code} {got.text[:120]}, want 200")
                if not may and (got.status_code != 403 or got.json().get("rule") != "CN-14"):
                    wrong.append(f"{where}: {got.status_code}, want 403 naming CN-14")
    assert wrong == []


# -- the web pages: the same policy through the session cookie -------------------------------

PAGES = [
    Endpoint("GET", "/borrower/loans", BORROWERS_THEMSELVES, True),
    Endpoint("GET", "/borrower/loans/{loan}", ONLY_OWNER, True),
    Endpoint("GET", "/borrower/loans/{loan}/payoff", ONLY_OWNER, True),
    Endpoint("GET", "/operator/loans", LOAN_OFFICERS, False),
    Endpoint("GET", "/operator/loans/{loan}", LOAN_OFFICERS, False),
    Endpoint("GET", "/operator/eod", frozenset({Role.ADMIN}), False),
    Endpoint("GET", "/borrower/credit", BORROWERS_THEMSELVES, True),
    Endpoint("GET", "/borrower/apply", BORROWERS_THEMSELVES, True),
    Endpoint("GET", "/borrower/applications/{app}", ONLY_OWNER, True),
    Endpoint("GET", "/borrower/offers/{offer}", ONLY_OWNER, True),
    Endpoint("GET", "/operator/applications", UNDERWRITERS, False),
    Endpoint("GET", "/borrower/contacts", BORROWERS_THEMSELVES, True),
    Endpoint("GET", "/borrower/contacts/evidence/{loan}.pdf", ONLY_OWNER, True),
    Endpoint("GET", "/operator/compliance", COMPLIANCE_READERS, False),
    Endpoint("GET", "/operator/collections", COLLECTORS, False),
    Endpoint("GET", "/operator/collections/loans/{loan}", COLLECTORS, False),
    Endpoint("GET", "/operator/audit", AUDIT_READERS, False),
    Endpoint("GET", "/operator/audit.csv", AUDIT_READERS, False),
    Endpoint("GET", "/operator/eod/{day}", frozenset({Role.ADMIN}), False),
    Endpoint("GET", "/operator/compliance/complaints/{complaint}", COMPLIANCE_READERS, False),
    Endpoint("GET", "/operator/compliance/disputes", COMPLIANCE_READERS, False),
    Endpoint("GET", "/borrower/contact-persons", BORROWERS_THEMSELVES, True),
    Endpoint("GET", "/borrower/offers/{offer}/contract", ONLY_OWNER, True),
    Endpoint("GET", "/borrower/offers/{offer}/contract.pdf", ONLY_OWNER, True),
    Endpoint("GET", "/borrower/loans/{booked}/contract", ONLY_OWNER, True),
]


def test_every_page_shows_only_the_signed_in_owners_records_and_only_to_the_roles_allowed(
    container: Container, api: TestClient
) -> None:
    from tests.collections.conftest import wire_fakes

    loan = _loan(container)
    cast(InMemoryLending, wire_fakes(container).lending).add(
        LoanFacts(loan, OWNER, LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1")
    )
    world = wire(container)
    solid_borrower(world, OWNER)
    solid_borrower(world, OTHER)
    view = world.service.apply(
        OWNER, Money.of(30_000, "CNY"), 12, inquiry_disclosure_acknowledged=True, stated_monthly_income=None
    )
    assert view.offer_id is not None
    [run] = container.eod.run()
    assert container.collections is not None
    complaint = container.collections.complaints.file(OWNER, loan, ComplaintCategory.HARASSMENT, "they called")
    # A second offer, accepted: its loan has a contract page.
    other_app = world.service.apply(OWNER, Money.of(20_000, "CNY"), 12, inquiry_disclosure_acknowledged=True)
    assert other_app.offer_id is not None
    booked = world.service.accept(OWNER, other_app.offer_id, agreed=True).loan_id
    ids = {
        "loan": loan,
        "app": view.id,
        "offer": view.offer_id,
        "day": run.business_date.isoformat(),
        "complaint": complaint.id,
        "booked": booked,
    }
    assert _check_pages(container, api, PAGES, ids) == []


def _check_pages(container: Container, api: TestClient, pages: list[Endpoint], ids: dict[str, str]) -> list[str]:
    """Signed out: the log-in page; each caller: the page where allowed, refused (or missing) elsewhere."""
    from tests.web.helpers import denied, sign_in

    callers = [("owner", Role.BORROWER, OWNER), ("other borrower", Role.BORROWER, OTHER)]
    callers += [("investor", Role.INVESTOR, "inv_1")] + [(r.value, r, f"op_{r.value}") for r in sorted(STAFF)]
    wrong: list[str] = []
    for page in pages:
        path = page.path.format(**ids)
        api.cookies.clear()
        anonymous = api.get(path, follow_redirects=False)
        if anonymous.status_code != 303 or "login" not in anonymous.headers.get("location", ""):
            wrong.append(f"{path}: signed out -> {anonymous.status_code}, want the log-in page")
        for who, role, subject in callers:
            may = page.owner_may if who == "owner" else role in page.allowed
            sign_in(api, container, subject, role)
            got = api.get(path, follow_redirects=False)
            # Someone else's record is refused or looks missing; it never renders.
            refused = denied(got) or (who == "other borrower" and got.status_code == 404)
            if may and got.status_code != 200:
                wrong.append(f"{path}: {who} -> {got.status_code} {got.headers.get('location')}, want 200")
            if not may and not refused:
                wrong.append(f"{path}: {who} -> {got.status_code}, want refused")
    api.cookies.clear()
    return wrong


def test_only_a_signed_in_borrower_gives_the_self_check_consent_and_only_their_own(
    container: Container, api: TestClient
) -> None:
    """The consent form names no person: it records the signed-in borrower's consent, nobody else's."""
    from tests.identity.helpers import verified_borrower
    from tests.web.helpers import csrf, denied, sign_in

    who, _, _ = verified_borrower(container)
    other, _, _ = verified_borrower(container)
    path = "/borrower/credit/consent"
    api.cookies.clear()
    anonymous = api.post(path, data={"consent": "1"}, follow_redirects=False)
    assert anonymous.status_code == 303 and "login" in anonymous.headers["location"]
    for role in sorted(STAFF | {Role.INVESTOR}):
        sign_in(api, container, f"op_{role.value}", role)
        assert denied(api.post(path, data={"consent": "1"}, follow_redirects=False)), role
    sign_in(api, container, who.subject_id, Role.BORROWER)
    page = api.get("/borrower/credit")
    given = api.post(
        path,
        data={"consent": "1", "person_id": other.subject_id, "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert given.status_code == 303
    api.cookies.clear()
    purposes = {
        p: [c.purpose.value for c in container.identity.consents.list_for(p)]
        for p in (who.subject_id, other.subject_id)
    }
    assert purposes == {who.subject_id: ["credit_self_check"], other.subject_id: []}


INVESTORS = frozenset({Role.INVESTOR})
MARKET_READERS = frozenset({Role.INVESTOR}) | STAFF
MARKET = [
    # Investing and cash: investors only; a borrower (the listing's own, or another) is refused.
    Endpoint("POST", "/api/v1/market/investor", INVESTORS, False, _json({"agreement_version": "investor/v1"})),
    Endpoint("GET", "/api/v1/market/wallet", INVESTORS, False),
    Endpoint("POST", "/api/v1/market/wallet/deposits", INVESTORS, False, _json({"amount": "100"})),
    Endpoint("POST", "/api/v1/market/wallet/withdrawals", INVESTORS, False, _json({"amount": "1"})),
    Endpoint("GET", "/api/v1/market/listings", MARKET_READERS, False),
    Endpoint("GET", "/api/v1/market/listings/{listing}", MARKET_READERS, False),
    Endpoint("POST", "/api/v1/market/listings/{listing}/investments", INVESTORS, False, _json({"amount": "50"})),
    Endpoint("GET", "/api/v1/market/investments", INVESTORS, False),
    Endpoint("GET", "/api/v1/market/notes", INVESTORS, False),
    Endpoint("GET", "/api/v1/market/portfolio", INVESTORS, False),
    Endpoint("GET", "/api/v1/market/statements?from=2026-01-01&to=2026-12-31", INVESTORS, False),
    Endpoint("GET", "/api/v1/market/statements?from=2026-01-01&to=2026-12-31&format=csv", INVESTORS, False),
    Endpoint("POST", "/api/v1/market/deadline", frozenset({Role.ADMIN}), False),
    Endpoint("POST", "/api/v1/market/listings/{listing}/close", frozenset({Role.ADMIN}), False),
]


INVESTOR_PAGES = [
    Endpoint("GET", path, INVESTORS, False)
    for path in (
        "/investor/wallet",
        "/investor/listings",
        "/investor/listings/{listing}",
        "/investor/notes",
        "/investor/portfolio",
        "/investor/statements",
        "/investor/statements.csv",
    )
]


def test_the_investor_portal_opens_to_investors_only(container: Container, api: TestClient) -> None:
    from tests.market.support import build

    world = build(container)
    listing = world.offer(OWNER)
    world.investor("inv_1", cash=1_000)
    assert _check_pages(container, api, INVESTOR_PAGES, {"listing": listing}) == []


def test_the_market_answers_investors_for_investing_and_never_a_borrower(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from tests.market.support import build

    world = build(container)
    listing = world.offer(OWNER)
    world.investor("inv_1", cash=1_000)
    assert _check(api, fake_auth, MARKET, {"listing": listing}) == []
