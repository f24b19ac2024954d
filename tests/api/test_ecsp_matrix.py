"""Who may call MK-4's API: investors only, for their own entry test and their own investments.

Classified here, beside the market's own matrix (test_authorization_matrix.py),
and read by tests/reliability/test_security_routes.py.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.api.test_authorization_matrix import OWNER, Endpoint, _check, _check_pages, _json
from tests.conftest import FakeAuthenticator
from tests.market.ecsp_support import RIGHT_ANSWERS, ecsp, passed_investor

INVESTORS = frozenset({Role.INVESTOR})
TEST_BODY = {"answers": RIGHT_ANSWERS, "yearly_income": "0", "liquid_assets": "100000", "yearly_commitments": "0"}
ECSP = [
    Endpoint("GET", "/api/v1/market/ecsp/entry-test", INVESTORS, False),
    Endpoint("POST", "/api/v1/market/ecsp/entry-test", INVESTORS, False, _json(TEST_BODY)),
    Endpoint("POST", "/api/v1/market/investments/{commitment}/revoke", INVESTORS, False),
]
ECSP_PAGES = [
    Endpoint("GET", path, INVESTORS, False) for path in ("/investor/listings/{listing}/sheet", "/investor/entry-test")
]


def test_the_ecsp_routes_answer_investors_only(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from tests.market.support import build, yuan

    world = build(container, ecsp(container.profile))
    listing = world.offer(OWNER)
    passed_investor(world, "inv_1", cash=1_000)
    made = world.market.commitments.invest("inv_1", listing, yuan(100))
    assert _check(api, fake_auth, ECSP, {"commitment": made.id}) == []


def test_the_information_sheet_opens_to_investors_only(container: Container, api: TestClient) -> None:
    from tests.market.support import build

    world = build(container, ecsp(container.profile))
    listing = world.offer(OWNER)
    world.investor("inv_1", cash=1_000)
    assert _check_pages(container, api, ECSP_PAGES, {"listing": listing}) == []
