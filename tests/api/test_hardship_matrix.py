"""Who may use hardship plans over the API: the borrower asks and accepts, hardship staff answer and read.

The table is read by tests/reliability/test_security_routes.py, which fails on a route in no table.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from fairlend.api.auth import HARDSHIP_OFFICERS, HARDSHIP_READERS
from fairlend.bootstrap import Container
from fairlend.hardship.model import Kind, Reason, Terms
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from tests.api.test_authorization_matrix import (
    BORROWERS_THEMSELVES,
    ONLY_OWNER,
    OWNER,
    Endpoint,
    _check,
    _check_pages,
    _json,
)
from tests.conftest import FakeAuthenticator
from tests.hardship.helpers import CONSENT
from tests.hardship.support import CASH12

H = "/api/v1/hardship"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HARDSHIP = [
    Endpoint("GET", H + "/borrowers/{pid}/requests", HARDSHIP_READERS, True),
    Endpoint("GET", H + "/requests/{req}", HARDSHIP_READERS, True),
    Endpoint("POST", H + "/requests/{req}/evidence", ONLY_OWNER, True, {"files": {"file": ("payslip.png", PNG, "image/png")}}),
    Endpoint("GET", H + "/requests/{req}/evidence", HARDSHIP_READERS, True),
    Endpoint("GET", H + "/evidence/{ev}", HARDSHIP_READERS, False),
    Endpoint("GET", H + "/deadlines", HARDSHIP_READERS, False),
    Endpoint("GET", H + "/loans/{loan}/plans", HARDSHIP_READERS, True),
    Endpoint("GET", H + "/queue", HARDSHIP_READERS, False),
    Endpoint("POST", H + "/previews", HARDSHIP_OFFICERS, False, _json({"loan_id": "{loan}", "kind": "term_extension", "periods": 3})),
    Endpoint("POST", H + "/proposals/{waiting}/approve", HARDSHIP_OFFICERS, False),
    Endpoint("POST", H + "/proposals/{waiting}/reject", HARDSHIP_OFFICERS, False),
    Endpoint(
        "POST", H + "/proposals/{offered}/accept", ONLY_OWNER, True, _json({"fingerprint": "{fingerprint}", "consent_version": CONSENT})
    ),
    Endpoint("POST", H + "/requests/{req2}/proposals", HARDSHIP_OFFICERS, False, _json({"kind": "term_extension", "periods": 3})),
    Endpoint("POST", H + "/requests/{req2}/decline", HARDSHIP_OFFICERS, False, _json({"reasons": ["other"]})),
    Endpoint("POST", H + "/requests", ONLY_OWNER, True, _json({"loan_id": "{loan3}", "kind": "interest_stop", "reason": "illness"})),
]  # fmt: skip
# The pages (web/hardship.py, web/hardship_desk.py): the same policy through the session cookie.
HARDSHIP_PAGES = [
    Endpoint("GET", "/borrower/hardship", BORROWERS_THEMSELVES, True),
    Endpoint("GET", "/borrower/loans/{loan3}/hardship", ONLY_OWNER, True),
    Endpoint("GET", "/borrower/hardship/{req}", ONLY_OWNER, True),
    Endpoint("GET", "/borrower/hardship/plans/{plan}", ONLY_OWNER, True),
    Endpoint("GET", "/operator/hardship", HARDSHIP_READERS, False),
    Endpoint("GET", "/operator/hardship/requests/{req2}", HARDSHIP_READERS, False),
    # A borrower's file, for hardship staff only; each download is an audit row (tests/web/test_hardship_evidence_pages.py).
    Endpoint("GET", "/operator/hardship/evidence/{ev}", HARDSHIP_READERS, False),
]


def _late(container: Container) -> str:
    return container.lending.book_loan(
        OWNER,
        CASH12.code,
        Money(1_000_000, "CNY"),
        open_date=date(2025, 11, 2),
        repayments=[PastRepayment(date(2025, 12, 2), Money(91_680, "CNY"))],
    )


def _seeded(container: Container) -> dict[str, str]:
    """An offered proposal (loan), one waiting for approval (loan2), and a loan with no request (loan3)."""
    container.lending.products.define(CASH12)
    loan, loan2, loan3 = _late(container), _late(container), _late(container)
    h = container.hardship
    req = h.file_request(OWNER, loan, Kind.TERM_EXTENSION, Reason.JOB_LOSS)
    offered = h.propose(req.request_id, Terms(Kind.TERM_EXTENSION, periods=3), "op_seed")
    req2 = h.file_request(OWNER, loan2, Kind.DISCOUNTED_SETTLEMENT, Reason.DISASTER)
    owed = container.lending.position(loan2).owed
    pay_by = container.clock.business_date() + timedelta(days=10)
    waiting = h.propose(
        req2.request_id, Terms(Kind.DISCOUNTED_SETTLEMENT, amount=owed - 300_000, pay_by=pay_by), "op_seed"
    )
    assert waiting.needs_approval and not offered.needs_approval
    evidence = h.evidence.upload(OWNER, req.request_id, PNG, claimed_type="image/png")
    return {
        "ev": evidence.evidence_id,
        "pid": OWNER,
        "loan": loan,
        "loan3": loan3,
        "req": req.request_id,
        "req2": req2.request_id,
        "offered": offered.proposal_id,
        "fingerprint": offered.outcome.fingerprint,
        "waiting": waiting.proposal_id,
    }


def test_hardship_answers_the_borrower_for_asking_and_accepting_and_staff_for_answering(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    assert _check(api, fake_auth, HARDSHIP, _seeded(container)) == []


def test_hardship_pages_show_the_borrower_only_their_own_and_the_desk_only_to_hardship_staff(
    container: Container, api: TestClient
) -> None:
    ids = _seeded(container)
    plan = container.hardship.accept(ids["offered"], OWNER, ids["fingerprint"], CONSENT)
    assert _check_pages(container, api, HARDSHIP_PAGES, {**ids, "plan": plan.plan_id}) == []
