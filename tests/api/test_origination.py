from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.origination.support import solid_borrower, struggling_borrower, wire


def test_self_check_prequalify_apply_offer_accept_through_the_api(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = wire(container)
    borrower = solid_borrower(world)
    me = fake_auth.headers(Role.BORROWER, borrower)

    check = api.post("/api/v1/origination/self-check", headers=me)
    assert check.status_code == 200, check.text
    assert check.json()["score"]["score"] > 0 and check.json()["accounts"]

    pre = api.post("/api/v1/origination/prequalify", json={"amount": "30000", "term_months": 12}, headers=me)
    assert pre.status_code == 200, pre.text
    assert pre.json()["indicative_decision"] == "approve" and pre.json()["grade"]
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 0  # prequalifying is soft

    disclosure = api.get("/api/v1/origination/inquiry-disclosure", headers=me).json()
    assert disclosure["hard_inquiries_last_30_days"] == 0

    app = api.post(
        "/api/v1/origination/applications",
        json={"amount": "30000", "term_months": 12, "inquiry_disclosure_acknowledged": True},
        headers={**me, "Idempotency-Key": "apply-1"},
    )
    assert app.status_code == 201, app.text
    body = app.json()
    assert body["decision"] == "approve" and body["offer_id"]
    replay = api.post(
        "/api/v1/origination/applications",
        json={"amount": "30000", "term_months": 12, "inquiry_disclosure_acknowledged": True},
        headers={**me, "Idempotency-Key": "apply-1"},
    )
    assert replay.json()["id"] == body["id"]
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 1  # the replay made no second inquiry

    offer = api.get(f"/api/v1/origination/offers/{body['offer_id']}", headers=me).json()
    assert float(offer["apr"]) <= float(container.profile.pricing.apr_cap)
    assert len(offer["schedule"]) == 12
    assert sum(i["principal_minor"] for i in offer["schedule"]) == offer["amount"]["minor"]
    assert offer["total_cost"]["minor"] == offer["total_interest"]["minor"] + offer["fee"]["minor"]

    accepted = api.post(
        f"/api/v1/origination/offers/{body['offer_id']}/accept",
        json={"agreed": True},
        headers={**me, "Idempotency-Key": "accept-1"},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["loan_id"]
    assert len(world.lending.bookings) == 1
    history = api.get("/api/v1/scoring/history", headers=me).json()
    assert [h["purpose"] for h in history] == ["self_check", "application"]


def test_decline_shows_reasons_and_plan_and_what_if_records_nothing(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    me = fake_auth.headers(Role.BORROWER, borrower)
    app = api.post(
        "/api/v1/origination/applications",
        json={
            "amount": "20000",
            "term_months": 12,
            "inquiry_disclosure_acknowledged": True,
            "stated_monthly_income": "8000",
        },
        headers=me,
    ).json()
    assert app["decision"] == "decline"
    notice = app["adverse_action"]
    assert 1 <= len(notice["reasons"]) <= 5 and notice["plan"]
    card_item = next(p for p in notice["plan"] if p["lever"] == "verify_bank_card")
    before = api.get("/api/v1/scoring/history", headers=me).json()
    what_if = api.post("/api/v1/scoring/what-if", json={"verify_bank_card": True}, headers=me)
    assert what_if.status_code == 200, what_if.text
    assert what_if.json()["recorded"] is False
    assert api.get("/api/v1/scoring/history", headers=me).json() == before
    assert what_if.json()["delta"] > 0 and card_item["points"] > 0
    # every promise in the notice replays exactly through the what-if endpoint
    assert {item["lever"] for item in notice["plan"]} >= {"verify_bank_card", "income_certificate", "pay_revolving"}
    for item in notice["plan"]:
        replay = api.post(
            "/api/v1/scoring/what-if",
            json={**item["what_if"], "amount": "20000", "stated_monthly_income": "8000"},
            headers=me,
        )
        assert replay.status_code == 200, replay.text
        assert replay.json()["delta"] == item["points"], item["action"]


def test_missing_consent_is_403_and_no_hard_inquiry(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = wire(container)
    borrower = solid_borrower(world, consent=False)
    response = api.post(
        "/api/v1/origination/applications",
        json={"amount": "30000", "term_months": 12, "inquiry_disclosure_acknowledged": True},
        headers=fake_auth.headers(Role.BORROWER, borrower),
    )
    assert response.status_code == 403 and response.json()["code"] == "consent_required"
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": "-5", "term_months": 12}, "validation_error"),
        ({"amount": "abc", "term_months": 12}, "amount_invalid"),
        ({}, "validation_error"),
    ],
)
def test_bad_input_is_422_never_5xx(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, body: dict[str, object], code: str
) -> None:
    world = wire(container)
    borrower = solid_borrower(world)
    response = api.post("/api/v1/origination/prequalify", json=body, headers=fake_auth.headers(Role.BORROWER, borrower))
    assert refusal(response) == (422, code)


def test_underwriters_work_the_referred_queue_and_borrowers_cannot(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from fairlend.origination.model import CreditPolicy

    world = wire(container)
    world.service.policy = CreditPolicy(approve_from=900)
    borrower = solid_borrower(world)
    me = fake_auth.headers(Role.BORROWER, borrower)
    app = api.post(
        "/api/v1/origination/applications",
        json={"amount": "30000", "term_months": 12, "inquiry_disclosure_acknowledged": True},
        headers=me,
    ).json()
    assert app["status"] == "referred"
    assert api.get("/api/v1/origination/underwriting/queue", headers=me).status_code == 403
    uw = fake_auth.headers(Role.UNDERWRITER, "op_uw")
    queue = api.get("/api/v1/origination/underwriting/queue", headers=uw).json()
    assert [a["id"] for a in queue] == [app["id"]]
    decided = api.post(
        f"/api/v1/origination/underwriting/{app['id']}/decision", json={"approve": False, "note": "no"}, headers=uw
    ).json()
    assert decided["status"] == "declined" and decided["adverse_action"]["reasons"]


def test_a_self_check_through_the_api_needs_the_borrowers_consent_then_reads_the_real_bureau(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from tests.identity.helpers import verified_borrower

    who, _, id_number = verified_borrower(container)  # identity, the bureau and scoring are all real here
    me = fake_auth.headers(Role.BORROWER, who.subject_id)
    assert container.bureau is not None

    def fairlends() -> list[str]:
        inquiries = container.bureau.counter_report(id_number).inquiries  # type: ignore[union-attr]
        return [i.kind.value for i in inquiries if i.institution_id == "inst_fairlend"]

    for method, path, body in (
        ("POST", "/api/v1/origination/self-check", None),
        ("POST", "/api/v1/origination/prequalify", {"amount": "30000", "term_months": 12}),
        ("GET", "/api/v1/origination/inquiry-disclosure", None),
        ("POST", "/api/v1/scoring/what-if", {"verify_bank_card": True}),
    ):
        refused = api.request(method, path, json=body, headers=me)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert (problem["code"], problem["rule"]) == ("self_check_consent_required", "CN-14"), path
    assert fairlends() == []

    given = api.post(
        f"/api/v1/people/{who.subject_id}/consents",
        json={"purpose": "credit_self_check", "institution": "fairlend", "text_version": "credit-self-check/v1"},
        headers=me,
    )
    assert given.status_code == 201, given.text
    response = api.post("/api/v1/origination/self-check", headers=me)
    assert response.status_code == 200, response.text
    assert response.json()["score"]["score"] > 0
    assert fairlends() == ["self"]
