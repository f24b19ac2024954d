"""Hardship over the API: evidence files (multipart, the borrower's own), the audited read, the deadlines, expiry."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.hardship.model import Kind, Reason, Terms
from fairlend.identity.model import AuditFilter, Role
from tests.api import test_hardship
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.hardship.helpers import CONSENT, counts

H = "/api/v1/hardship"
OWNER = test_hardship.OWNER
late_loan = test_hardship.late_loan  # the fixture: two installments missed
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 48


def _request(container: Container, loan_id: str) -> str:
    return container.hardship.file_request(OWNER, loan_id, Kind.TERM_EXTENSION, Reason.ILLNESS).request_id


def test_the_borrower_adds_a_file_and_staff_read_it_audited_as_an_attachment(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    request_id = _request(container, late_loan)
    owner = fake_auth.headers(Role.BORROWER, OWNER)
    added = api.post(f"{H}/requests/{request_id}/evidence", headers=owner, files={"file": ("a.png", PNG, "image/png")})
    assert added.status_code == 201, added.text
    evidence_id = added.json()["id"]
    assert added.json()["content_type"] == "image/png" and added.json()["size"] == len(PNG)
    shown = api.get(f"{H}/requests/{request_id}", headers=owner).json()
    assert [e["id"] for e in shown["evidence"]] == [evidence_id]
    reader = fake_auth.headers(Role.UNDERWRITER, "op_reader")
    got = api.get(f"{H}/evidence/{evidence_id}", headers=reader)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["x-content-type-options"] == "nosniff" and "attachment" in got.headers["content-disposition"]
    assert got.headers["cache-control"] == "no-store"
    (entry,) = container.identity.audit.page(AuditFilter(person_id=OWNER)).entries
    assert (entry.actor_id, entry.fields) == ("op_reader", "hardship_evidence") and evidence_id in entry.purpose


def test_a_file_that_is_not_what_it_says_or_not_the_callers_is_refused_and_nothing_written(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    request_id = _request(container, late_loan)
    before = counts(container)
    owner = fake_auth.headers(Role.BORROWER, OWNER)
    url = f"{H}/requests/{request_id}/evidence"
    html = api.post(url, headers=owner, files={"file": ("a.pdf", b"<html>hi</html>", "application/pdf")})
    assert refusal(html) == (422, "file_type_mismatch")
    renamed = api.post(url, headers=owner, files={"file": ("a.pdf", PNG, "application/octet-stream")})
    assert refusal(renamed) == (422, "file_type_mismatch")
    huge = api.post(url, headers=owner, files={"file": ("a.png", PNG + b"0" * (10 * 1024 * 1024), "image/png")})
    assert refusal(huge) == (422, "file_too_large")
    stranger = api.post(
        url, headers=fake_auth.headers(Role.BORROWER, "brw_other"), files={"file": ("a.png", PNG, "image/png")}
    )
    assert refusal(stranger) == (404, "request_not_found")
    staff = api.post(url, headers=fake_auth.headers(Role.ADMIN, "op_a"), files={"file": ("a.png", PNG, "image/png")})
    assert refusal(staff) == (403, "not_yours")
    assert counts(container) == before
    assert container.identity.audit.page(AuditFilter(person_id=OWNER)).entries == ()


def test_an_expired_offer_is_a_409_and_the_compliance_officer_sees_missed_deadlines(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    request_id = _request(container, late_loan)
    compliance = fake_auth.headers(Role.COMPLIANCE, "op_compliance")
    assert api.get(f"{H}/deadlines", headers=compliance).json() == []
    due = container.hardship.request(request_id).answer_due
    container.clock.set_business_date(due + timedelta(days=1))  # type: ignore[attr-defined]
    (flag,) = api.get(f"{H}/deadlines", headers=compliance).json()
    assert (flag["request_id"], flag["rule"], flag["check"], flag["days_late"]) == (
        request_id, "P-11", "answer_missed", 1,
    )  # fmt: skip
    offer = container.hardship.propose(request_id, Terms(Kind.TERM_EXTENSION, periods=3), "op_maker")
    assert offer.expires_on is not None
    container.clock.set_business_date(offer.expires_on + timedelta(days=1))  # type: ignore[attr-defined]
    before = counts(container)
    accepted = api.post(
        f"{H}/proposals/{offer.proposal_id}/accept",
        headers={**fake_auth.headers(Role.BORROWER, OWNER), "Idempotency-Key": "late-accept"},
        json={"fingerprint": offer.outcome.fingerprint, "consent_version": CONSENT},
    )
    assert refusal(accepted) == (409, "offer_expired")
    assert counts(container) == before
