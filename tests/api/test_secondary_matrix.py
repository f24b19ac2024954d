"""Who may use the secondary market, API and pages: investors trade, investors and staff browse, borrowers never.

The tables are read by tests/reliability/test_security_routes.py, which fails on a route in no table.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from tests.api.test_authorization_matrix import INVESTORS, MARKET_READERS, Endpoint, _check, _check_pages, _json
from tests.conftest import FakeAuthenticator
from tests.market.support import yuan
from tests.market.trading_support import book

M = "/api/v1/market"
SECONDARY = [
    Endpoint("POST", M + "/orders", INVESTORS, False, _json({"note_id": "{note}", "premium_bps": 0})),
    Endpoint("GET", M + "/orders", MARKET_READERS, False),
    Endpoint("GET", M + "/orders/{order}", MARKET_READERS, False),
    Endpoint("POST", M + "/orders/{mine}/cancel", INVESTORS, False),
    Endpoint("POST", M + "/trades", INVESTORS, False, _json({"order_id": "{order}"})),
    Endpoint("GET", M + "/trades", INVESTORS, False),
]
SECONDARY_PAGES = [
    Endpoint("GET", path, INVESTORS, False)
    for path in (
        "/investor/market",
        "/investor/market/orders/{order}",
        "/investor/market/sell",
        "/investor/market/trades",
    )
]


def _seeded(container: Container) -> dict[str, str]:
    """inv_1 (the matrix's investor) holds a note it has listed; inv_2's order is one inv_1 may buy."""
    b = book(container, {"inv_1": 6_000, "inv_2": 4_000})
    note = b.note_of("inv_1")
    mine = b.market.orders.place("inv_1", note, yuan(1_000), 0)
    theirs = b.market.orders.place("inv_2", b.note_of("inv_2"), yuan(1_000), 0)
    return {"note": note, "mine": mine.id, "order": theirs.id}


def test_the_secondary_market_answers_investors_for_trading_staff_for_browsing_and_never_a_borrower(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    assert _check(api, fake_auth, SECONDARY, _seeded(container)) == []


def test_the_secondary_market_pages_open_to_investors_only(container: Container, api: TestClient) -> None:
    assert _check_pages(container, api, SECONDARY_PAGES, _seeded(container)) == []
