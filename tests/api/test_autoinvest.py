"""Auto-invest's API: an investor's own rules, problems with stable codes, replays that write once, the operator's run."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.market.model import ListingStatus
from tests.conftest import FakeAuthenticator
from tests.market.support import build

PATH = "/api/v1/market/autoinvest/rules"
RULE: dict[str, Any] = {
    "grades": ["A", "B3"],
    "terms": [12],
    "min_rate": "0.05",
    "max_rate": "0.12",
    "amount_per_note": "200",
    "max_borrower_share": "0.5",
    "cash_reserve": "100.00",
}


def test_an_investor_creates_reads_changes_and_deletes_a_rule_once_per_key(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container)
    world.investor("inv_1", cash=1_000)
    headers = fake_auth.headers(Role.INVESTOR, "inv_1")
    created = api.post(PATH, json=RULE, headers={**headers, "Idempotency-Key": "r1"})
    again = api.post(PATH, json=RULE, headers={**headers, "Idempotency-Key": "r1"})
    assert created.status_code == again.status_code == 201, created.text
    body = created.json()
    assert again.json()["id"] == body["id"]
    assert body["amount_per_note"] == {"amount": "200.00", "minor": 20_000, "currency": "CNY"}
    assert body["cash_reserve"]["minor"] == 10_000 and body["max_borrower_share"] == "0.5"
    assert body["grades"] == ["A", "B3"] and body["enabled"] is True
    listed = api.get(PATH, headers=headers).json()
    assert [r["id"] for r in listed] == [body["id"]]
    off = api.put(f"{PATH}/{body['id']}", json={**RULE, "enabled": False}, headers={**headers, "Idempotency-Key": "r2"})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert api.get(f"{PATH}/{body['id']}", headers=headers).json()["enabled"] is False
    gone = api.delete(f"{PATH}/{body['id']}", headers={**headers, "Idempotency-Key": "r3"})
    assert gone.status_code == 204
    assert api.get(PATH, headers=headers).json() == []
    missing = api.get(f"{PATH}/{body['id']}", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "autoinvest_rule_not_found"


def test_bad_rules_are_problems_with_stable_codes_and_write_nothing(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container)
    world.investor("inv_1", cash=1_000)
    world.investor("inv_2")
    headers = fake_auth.headers(Role.INVESTOR, "inv_1")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"grades": []}, 422, "autoinvest_grades_invalid"),
        ({"terms": [0]}, 422, "autoinvest_terms_invalid"),
        ({"min_rate": "0.3"}, 422, "autoinvest_rate_range_invalid"),
        ({"amount_per_note": "75"}, 422, "not_multiple_of_note"),
        ({"amount_per_note": "50.005"}, 422, "amount_too_precise"),
        ({"amount_per_note": 12.5}, 422, "amount_invalid"),
        ({"max_borrower_share": "0"}, 422, "autoinvest_borrower_share_invalid"),
        ({"cash_reserve": "-1"}, 422, "autoinvest_reserve_invalid"),
        ({"grades": "A"}, 422, "validation_error"),
    ]
    for n, (change, status, code) in enumerate(cases):
        got = api.post(PATH, json={**RULE, **change}, headers={**headers, "Idempotency-Key": f"bad{n}"})
        assert got.status_code == status, (change, got.text)
        assert got.headers["content-type"].startswith("application/problem+json")
        assert got.json()["code"] == code, (change, got.json())
    assert api.get(PATH, headers=headers).json() == []
    unkeyed = api.post(PATH, json=RULE, headers=headers)
    assert unkeyed.status_code == 400 and unkeyed.json()["code"] == "idempotency_key_required"
    # Another investor's rule does not exist for them.
    mine = api.post(PATH, json=RULE, headers={**headers, "Idempotency-Key": "ok"}).json()["id"]
    other = {**fake_auth.headers(Role.INVESTOR, "inv_2"), "Idempotency-Key": "theirs"}
    assert api.put(f"{PATH}/{mine}", json=RULE, headers=other).json()["code"] == "autoinvest_rule_not_found"


def test_a_rule_invests_when_a_listing_opens_and_the_investor_sees_what_it_did(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container)
    world.investor("inv_1", cash=20_000)
    headers = fake_auth.headers(Role.INVESTOR, "inv_1")
    made = api.post(
        PATH, json={**RULE, "max_borrower_share": "1", "cash_reserve": "0"}, headers={**headers, "Idempotency-Key": "a"}
    )
    assert made.status_code == 201
    loan_id = world.offer(amount=1_000)  # A4, 12 months, 7.5 %: funded by the rule at once
    assert loan_id.startswith("loan")
    done = api.get("/api/v1/market/autoinvest/investments", headers=headers).json()
    assert len(done) == 1 and done[0]["turns"] == 5 and done[0]["rule_id"] == made.json()["id"]
    notes = api.get("/api/v1/market/notes", headers=headers).json()
    assert [n["loan_id"] for n in notes] == [loan_id]


def test_the_operator_runs_auto_invest_over_open_listings(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container)
    listing = world.offer(amount=1_000)  # nobody has a rule yet
    world.investor("inv_1", cash=5_000)
    headers = fake_auth.headers(Role.INVESTOR, "inv_1")
    api.post(PATH, json={**RULE, "max_borrower_share": "1"}, headers={**headers, "Idempotency-Key": "a"})
    ran = api.post("/api/v1/market/autoinvest/run", headers=fake_auth.headers(Role.ADMIN, "op_admin"))
    assert ran.status_code == 200 and ran.json() == {"listings": 1, "turns": 5, "funded": 1, "refused": []}
    assert world.market.listings.get(listing).status is ListingStatus.FUNDED


def test_an_offer_accepted_through_the_api_is_served_before_the_answer_and_a_replay_serves_nothing(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from tests.market.autoinvest_support import auto_investor
    from tests.market.support import yuan
    from tests.origination.support import solid_borrower

    world = build(container)
    auto_investor(world, "inv_1", cash=5_000, amount=500)
    solid_borrower(world.borrowers, "brw_api")
    offer_id = world.origination.apply("brw_api", yuan(1_000), 12, inquiry_disclosure_acknowledged=True).offer_id
    me = {**fake_auth.headers(Role.BORROWER, "brw_api"), "Idempotency-Key": "accept-1"}
    path = f"/api/v1/origination/offers/{offer_id}/accept"
    accepted = api.post(path, json={"agreed": True}, headers=me)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["loan_id"]  # funded by the rule at once
    replay = api.post(path, json={"agreed": True}, headers=me)
    assert replay.json() == accepted.json() and replay.headers.get("Idempotent-Replayed")
    assert [m.turns for m in world.market.autoinvest.rules.investments("inv_1")] == [2]
    assert world.market.wallets.wallet("inv_1").cash == yuan(4_000)
