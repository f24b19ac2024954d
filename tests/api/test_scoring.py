from __future__ import annotations

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.conftest import FakeAuthenticator
from tests.origination.support import struggling_borrower, wire


def test_the_model_explains_its_bins_and_points(api: TestClient, fake_auth: FakeAuthenticator) -> None:
    body = api.get("/api/v1/scoring/model", headers=fake_auth.headers(Role.BORROWER, "brw_x")).json()
    names = [f["feature"] for f in body["features"]]
    assert "hard_inquiries_3m" in names and body["woe_convention"].startswith("ln(share of goods")


def test_what_if_for_a_past_date_is_422(container: Container, api: TestClient, fake_auth: FakeAuthenticator) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    response = api.post(
        "/api/v1/scoring/what-if", json={"as_of": "2020-01-01"}, headers=fake_auth.headers(Role.BORROWER, borrower)
    )
    assert response.status_code == 422 and response.json()["code"] == "as_of_in_past"


def test_what_if_dates_ahead_show_inquiries_leaving_the_window(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    me = fake_auth.headers(Role.BORROWER, borrower)
    later = api.post("/api/v1/scoring/what-if", json={"as_of": "2026-06-30"}, headers=me).json()
    assert later["delta"] > 0


def test_scoring_needs_a_token(api: TestClient) -> None:
    assert api.get("/api/v1/scoring/model").status_code == 401
