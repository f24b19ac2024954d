"""Collections over HTTP: each side sees and does only what it may."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.fakes import InMemoryContactPoints, InMemoryLending, InMemoryOtp
from fairlend.collections.model import LoanFacts, LoanState
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.conftest import FakeAuthenticator

BASE = "/api/v1/collections"
B1, B2, LOAN = "brw_1", "brw_2", "loan_1"


@pytest.fixture
def seeded(container: Container) -> Container:
    from tests.collections.conftest import wire_fakes

    wire_fakes(container)
    assert container.collections is not None
    lending = cast(InMemoryLending, container.collections.lending)
    lending.add(LoanFacts(LOAN, B1, LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1"))
    lending.add(LoanFacts("loan_2", B2, LoanState.ACTIVE, "CNY", Money(9_000, "CNY"), 5, "M1"))
    cast(InMemoryContactPoints, container.collections.contact_points).add(B1, "+8613812345678")
    return container


def _attempt(api: TestClient, auth: FakeAuthenticator, **body: Any) -> dict[str, Any]:
    response = api.post(
        f"{BASE}/attempts",
        json={"loan_id": LOAN, "medium": "call", **body},
        headers=auth.headers(Role.COLLECTOR, "op_1"),
    )
    assert response.status_code == 201, response.text
    return cast(dict[str, Any], response.json())


def test_a_borrower_sees_every_attempt_about_them_and_nobody_elses(
    api: TestClient, fake_auth: FakeAuthenticator, seeded: Container, clock: FixedClock
) -> None:
    assert _attempt(api, fake_auth)["allowed"] is True
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    blocked = _attempt(api, fake_auth)
    assert blocked["allowed"] is False and [v["rule"] for v in blocked["violations"]] == ["CN-5"]
    mine = api.get(f"{BASE}/borrowers/{B1}/contacts", headers=fake_auth.headers(Role.BORROWER, B1))
    assert mine.status_code == 200
    assert [c["outcome"] for c in mine.json()] == ["blocked", "sent"]
    assert mine.json()[0]["rules"][0]["rule"] == "CN-5" and "22:00" in mine.json()[0]["rules"][0]["zh"]
    other = api.get(f"{BASE}/borrowers/{B1}/contacts", headers=fake_auth.headers(Role.BORROWER, B2))
    assert other.status_code == 403
    assert (
        api.get(f"{BASE}/borrowers/{B1}/contacts", headers=fake_auth.headers(Role.COMPLIANCE, "op_c")).status_code
        == 200
    )
    assert api.get(f"{BASE}/borrowers/{B1}/contacts").status_code == 401


def test_only_collectors_attempt_contacts(api: TestClient, fake_auth: FakeAuthenticator, seeded: Container) -> None:
    response = api.post(
        f"{BASE}/attempts", json={"loan_id": LOAN, "medium": "call"}, headers=fake_auth.headers(Role.BORROWER, B1)
    )
    assert response.status_code == 403
    bad = api.post(
        f"{BASE}/attempts", json={"loan_id": LOAN, "medium": "fax"}, headers=fake_auth.headers(Role.COLLECTOR, "op_1")
    )
    assert bad.status_code == 422
    missing = api.post(
        f"{BASE}/attempts",
        json={"loan_id": "loan_x", "medium": "call"},
        headers=fake_auth.headers(Role.COLLECTOR, "op_1"),
    )
    assert missing.status_code == 404 and missing.json()["code"] == "loan_not_found"


def test_a_cease_request_stops_the_next_call(api: TestClient, fake_auth: FakeAuthenticator, seeded: Container) -> None:
    response = api.post(
        f"{BASE}/borrowers/{B1}/cease-requests",
        json={"scope": "all"},
        headers={**fake_auth.headers(Role.BORROWER, B1), "Idempotency-Key": "cease-1"},
    )
    assert response.status_code == 201 and response.json()["scope"] == "all"
    assert _attempt(api, fake_auth)["allowed"] is False
    # Someone else cannot stop (or un-stop) another borrower's collections.
    forged = api.post(
        f"{BASE}/borrowers/{B1}/cease-requests", json={"scope": "all"}, headers=fake_auth.headers(Role.BORROWER, B2)
    )
    assert forged.status_code == 403


def test_a_contact_person_is_named_alone_and_confirms_with_their_own_code(
    api: TestClient, fake_auth: FakeAuthenticator, seeded: Container
) -> None:
    body = {"name": "李四", "relation": "friend", "phone": "13912345678"}
    created = api.post(
        f"{BASE}/borrowers/{B1}/contact-persons", json=body, headers=fake_auth.headers(Role.BORROWER, B1)
    )
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert created.json()["phone_masked"] == "+86139****5678"
    assert seeded.collections is not None
    otp = cast(InMemoryOtp, seeded.collections.otp)
    code = next(v for (phone, _), v in otp.sent.items() if phone == "+8613912345678")
    contact_id = created.json()["id"]
    wrong = api.post(f"{BASE}/contact-persons/{contact_id}/confirm", json={"code": f"{(int(code) + 1) % 10**6:06d}"})
    assert wrong.status_code == 403
    confirmed = api.post(f"{BASE}/contact-persons/{contact_id}/confirm", json={"code": code})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    listed = api.get(f"{BASE}/borrowers/{B1}/contact-persons", headers=fake_auth.headers(Role.BORROWER, B1))
    assert [p["id"] for p in listed.json()] == [contact_id]


def test_no_endpoint_accepts_a_list_of_contacts(
    api: TestClient, fake_auth: FakeAuthenticator, seeded: Container
) -> None:
    """P-1: the platform never takes an address book, not even by accident."""
    spec = api.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    people_words = ("phone", "mobile", "contact", "address_book", "addressbook")

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        return cast(dict[str, Any], schemas[schema["$ref"].rsplit("/", 1)[-1]]) if "$ref" in schema else schema

    def walk(schema: dict[str, Any], name: str, depth: int = 0) -> list[tuple[str, dict[str, Any]]]:
        """Every (field name, array schema) inside a request schema."""
        schema = resolve(schema)
        if depth > 8:
            return []
        found = [(name, schema)] if schema.get("type") == "array" else []
        for key, sub in schema.get("properties", {}).items():
            found += walk(sub, key, depth + 1)
        for sub in [*schema.get("anyOf", []), *schema.get("allOf", []), *schema.get("oneOf", [])]:
            found += walk(sub, name, depth + 1)
        if "items" in schema:
            found += walk(schema["items"], name, depth + 1)
        return found

    def about_people(name: str, array: dict[str, Any]) -> bool:
        items = resolve(array.get("items", {}))
        fields = " ".join([name, *items.get("properties", {})]).lower()
        return any(word in fields for word in people_words)

    collections_bodies = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                arrays = walk(content["schema"], "body")
                where = f"{method.upper()} {path}"
                # Nowhere in the API may a list of people or numbers come in...
                assert not [n for n, a in arrays if about_people(n, a)], f"{where} accepts a list of people"
                # ...and collections takes no lists at all.
                if path.startswith(BASE):
                    collections_bodies += 1
                    assert arrays == [], f"{where} accepts a list"
    assert collections_bodies >= 8
    a_list = [{"name": "a", "relation": "friend", "phone": "13912345678"}] * 2
    refused = api.post(
        f"{BASE}/borrowers/{B1}/contact-persons", json=a_list, headers=fake_auth.headers(Role.BORROWER, B1)
    )
    assert refused.status_code == 422


def test_complaints_run_from_the_borrower_to_the_compliance_officer_and_back(
    api: TestClient, fake_auth: FakeAuthenticator, seeded: Container
) -> None:
    borrower = fake_auth.headers(Role.BORROWER, B1)
    officer = fake_auth.headers(Role.COMPLIANCE, "op_c")
    filed = api.post(
        f"{BASE}/borrowers/{B1}/complaints",
        json={"loan_id": LOAN, "category": "contact_after_repayment", "text": "I repaid and they still call"},
        headers=borrower,
    )
    assert filed.status_code == 201, filed.text
    complaint_id = filed.json()["id"]
    assert filed.json()["ack_seconds_left"] == 2 * 86_400
    upload = api.post(
        f"{BASE}/complaints/{complaint_id}/attachments",
        files={"file": ("call-log.png", b"\x89PNG fake", "image/png")},
        headers=borrower,
    )
    assert upload.status_code == 201 and upload.json()["filename"] == "call-log.png"
    assert _attempt(api, fake_auth)["violations"][0]["rule"] == "P-3"
    assert (
        api.get(f"{BASE}/complaints/{complaint_id}", headers=fake_auth.headers(Role.COLLECTOR, "op_1")).status_code
        == 403
    )
    queue = api.get(f"{BASE}/compliance/complaints?status=open", headers=officer)
    assert [c["id"] for c in queue.json()] == [complaint_id]
    assert api.post(f"{BASE}/complaints/{complaint_id}/acknowledge", headers=officer).json()["status"] == "acknowledged"
    again = api.post(f"{BASE}/complaints/{complaint_id}/acknowledge", headers=officer)
    assert again.status_code == 409
    answered = api.post(f"{BASE}/complaints/{complaint_id}/answer", json={"answer": "calls stopped"}, headers=officer)
    assert answered.json()["status"] == "answered"
    seen = api.get(f"{BASE}/complaints/{complaint_id}", headers=borrower).json()
    assert seen["answer"] == "calls stopped" and len(seen["attachments"]) == 1
    summary = api.get(f"{BASE}/compliance/summary", headers=officer).json()
    assert summary["blocked_per_rule"] == {"P-3": 1} and summary["complaints_by_status"]["answered"] == 1
    assert api.get(f"{BASE}/compliance/summary", headers=fake_auth.headers(Role.COLLECTOR, "op_1")).status_code == 403


def test_the_evidence_package_downloads_for_its_borrower_only(
    api: TestClient, fake_auth: FakeAuthenticator, seeded: Container
) -> None:
    _attempt(api, fake_auth)
    for lang in ("zh-CN", "en"):
        pdf = api.get(
            f"{BASE}/borrowers/{B1}/loans/{LOAN}/evidence.pdf?lang={lang}", headers=fake_auth.headers(Role.BORROWER, B1)
        )
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert (
        api.get(
            f"{BASE}/borrowers/{B1}/loans/{LOAN}/evidence.pdf", headers=fake_auth.headers(Role.BORROWER, B2)
        ).status_code
        == 403
    )
    assert (
        api.get(
            f"{BASE}/borrowers/{B2}/loans/{LOAN}/evidence.pdf", headers=fake_auth.headers(Role.BORROWER, B2)
        ).status_code
        == 404
    )
    assert (
        api.get(
            f"{BASE}/borrowers/{B1}/loans/{LOAN}/evidence.pdf?lang=fr", headers=fake_auth.headers(Role.BORROWER, B1)
        ).status_code
        == 422
    )


def test_collectors_work_a_prioritised_queue(
    api: TestClient, fake_auth: FakeAuthenticator, seeded: Container, clock: FixedClock
) -> None:
    assert seeded.collections is not None
    with seeded.uow() as uow:
        seeded.collections.planner.run(uow, clock.business_date())
        uow.commit()
    tasks = api.get(f"{BASE}/queue", headers=fake_auth.headers(Role.COLLECTOR, "op_1")).json()
    assert [t["loan_id"] for t in tasks] == [LOAN, "loan_2"]
    done = _attempt(api, fake_auth, task_id=tasks[0]["id"])
    assert done["allowed"]
    left = api.get(f"{BASE}/queue", headers=fake_auth.headers(Role.COLLECTOR, "op_1")).json()
    assert [t["loan_id"] for t in left] == ["loan_2"]
    assert api.get(f"{BASE}/queue", headers=fake_auth.headers(Role.BORROWER, B1)).status_code == 403


def test_bad_input_is_a_4xx_never_a_5xx(api: TestClient, fake_auth: FakeAuthenticator, seeded: Container) -> None:
    borrower = fake_auth.headers(Role.BORROWER, B1)
    bad_phone = api.post(
        f"{BASE}/borrowers/{B1}/contact-persons",
        json={"name": "x", "relation": "y", "phone": "12345"},
        headers=borrower,
    )
    assert bad_phone.status_code == 422 and bad_phone.json()["code"] == "bad_phone"
    no_medium = api.post(f"{BASE}/borrowers/{B1}/cease-requests", json={"scope": "medium"}, headers=borrower)
    assert no_medium.status_code == 422
    bad_window = api.put(
        f"{BASE}/borrowers/{B1}/window-consent", json={"start": "23:00", "end": "07:00"}, headers=borrower
    )
    assert bad_window.status_code == 422
    ok_window = api.put(
        f"{BASE}/borrowers/{B1}/window-consent", json={"start": "07:00", "end": "23:00"}, headers=borrower
    )
    assert ok_window.status_code == 204
    bad_tz = api.post(
        f"{BASE}/attempts",
        json={"loan_id": LOAN, "medium": "sms", "recipient_kind": "third_party", "third_party_number": "+12025550123",
              "third_party_timezone": "Mars/Olympus"},
        headers=fake_auth.headers(Role.COLLECTOR, "op_1"),
    )  # fmt: skip
    assert bad_tz.status_code == 422
