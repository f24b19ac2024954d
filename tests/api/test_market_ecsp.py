"""MK-4 over HTTP: the entry test, the warning acknowledged in the invest body, revoking an investment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.conftest import FakeAuthenticator
from tests.market.ecsp_support import RIGHT_ANSWERS, ecsp
from tests.market.support import build


def test_an_investor_takes_the_test_invests_past_the_warning_and_revokes(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container, ecsp(container.profile))
    listing = world.offer()
    world.investor("inv_1", cash=5_000)
    headers = fake_auth.headers(Role.INVESTOR, "inv_1")
    n = iter(range(100))

    def post(path: str, body: Mapping[str, object] | None = None) -> Any:
        return api.post(path, json=body, headers={**headers, "Idempotency-Key": f"k-{next(n)}"})

    invest = f"/api/v1/market/listings/{listing}/investments"
    refused = post(invest, {"amount": "500"})
    assert refused.status_code == 403 and refused.json()["code"] == "entry_test_required"
    state = api.get("/api/v1/market/ecsp/entry-test", headers=headers).json()
    assert state["required"] and state["pass_mark"] == 4 and len(state["questions"]) == 5 and state["result"] is None
    body = {"answers": RIGHT_ANSWERS, "yearly_income": "60000", "liquid_assets": "40000", "yearly_commitments": "0"}
    taken = post("/api/v1/market/ecsp/entry-test", body).json()
    assert taken["passed"] and taken["loss_capacity"]["amount"] == "10000.00"
    large = post(invest, {"amount": "1050"})
    assert large.status_code == 403 and large.json()["code"] == "large_investment_warning"
    made = post(invest, {"amount": "1050", "acknowledged_risk": True})
    assert made.status_code == 201
    revoked = post(f"/api/v1/market/investments/{made.json()['id']}/revoke")
    assert revoked.status_code == 204
    assert world.market.wallets.wallet("inv_1").committed.minor == 0
    bad = post("/api/v1/market/ecsp/entry-test", {**body, "yearly_income": "-5"})
    assert bad.status_code in (400, 422)
