"""The market's API: listings carry no personal data, bad amounts are problems, production has no rail."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.market.ports import UnwiredRail
from tests.conftest import FakeAuthenticator
from tests.market.support import build

# The fake borrower's own identifiers (origination/fakes.py), and field names that would carry any.
THEIRS = ("brw_solid", "IDbrw_solid", "Person olid")
PERSONAL_FIELDS = {"name", "phone", "id_number", "card", "card_number", "address", "borrower_id", "person_id"}


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(k) for k in value] + [k for v in value.values() for k in _keys(v)]
    return [k for v in value for k in _keys(v)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def test_no_field_of_a_listing_carries_the_borrowers_name_id_phone_card_or_address(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container)
    listing = world.offer()
    headers = fake_auth.headers(Role.INVESTOR, "inv_1")
    shown = [api.get(f"/api/v1/market/listings/{listing}", headers=headers).json()]
    shown += api.get("/api/v1/market/listings", headers=headers).json()
    assert len(shown) == 2 and shown[0]["id"] == listing
    for item in shown:
        assert not PERSONAL_FIELDS & set(_keys(item))
        for text in _strings(item):
            assert not any(p in text for p in THEIRS), text


def test_investing_through_the_api_answers_problems_with_stable_codes(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container)
    listing = world.offer()
    world.investor("inv_1", cash=1_000)
    headers = {**fake_auth.headers(Role.INVESTOR, "inv_1"), "Idempotency-Key": "k1"}
    path = f"/api/v1/market/listings/{listing}/investments"
    for n, (amount, code) in enumerate(
        [("50.005", "amount_too_precise"), ("75", "not_multiple_of_note"), ("2000", "insufficient_cash")]
    ):
        answer = api.post(path, json={"amount": amount}, headers={**headers, "Idempotency-Key": f"bad-{n}"})
        assert 400 <= answer.status_code < 500 and answer.json()["code"] == code, answer.text
    made = api.post(path, json={"amount": "500"}, headers=headers)
    assert made.status_code == 201 and made.json()["status"] == "reserved"
    again = api.post(path, json={"amount": "500"}, headers=headers)
    assert again.json()["id"] == made.json()["id"]  # the replay, not a second investment
    assert world.market.wallets.wallet("inv_1").committed.minor == 50_000
    no_key = api.post(path, json={"amount": "50"}, headers=fake_auth.headers(Role.INVESTOR, "inv_1"))
    assert no_key.json()["code"] == "idempotency_key_required"


@pytest.mark.parametrize("rail", [UnwiredRail()])
def test_without_a_wired_payment_rail_deposits_answer_503(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, rail: UnwiredRail
) -> None:
    world = build(container, rail=rail)
    world.investor("inv_1")
    headers = {**fake_auth.headers(Role.INVESTOR, "inv_1"), "Idempotency-Key": "d1"}
    answer = api.post("/api/v1/market/wallet/deposits", json={"amount": "100"}, headers=headers)
    assert answer.status_code == 503 and answer.json()["code"] == "payment_rail_not_wired"
