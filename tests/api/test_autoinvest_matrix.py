"""Who may call auto-invest's API and open its pages: investors their own rules, admins the run, nobody else.

Classified here, beside the market's own matrix (test_authorization_matrix.py),
and read by tests/reliability/test_security_routes.py.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from tests.api.test_authorization_matrix import OWNER, Endpoint, _check, _check_pages, _json
from tests.conftest import FakeAuthenticator
from tests.market.autoinvest_support import rule_terms

INVESTORS = frozenset({Role.INVESTOR})
A = "/api/v1/market/autoinvest"
RULE = {
    "grades": ["A"],
    "terms": [12],
    "min_rate": "0",
    "max_rate": "0.24",
    "amount_per_note": "200",
    "max_borrower_share": "1",
}
AUTOINVEST = [
    Endpoint("GET", A + "/rules", INVESTORS, False),
    Endpoint("POST", A + "/rules", INVESTORS, False, _json(RULE)),
    Endpoint("GET", A + "/rules/{rule}", INVESTORS, False),
    Endpoint("PUT", A + "/rules/{rule}", INVESTORS, False, _json(RULE)),
    Endpoint("GET", A + "/investments", INVESTORS, False),
    Endpoint("POST", A + "/run", frozenset({Role.ADMIN}), False),
    Endpoint("DELETE", A + "/rules/{rule}", INVESTORS, False),  # last: the rule is gone after it
]
AUTOINVEST_PAGES = [
    Endpoint("GET", path, INVESTORS, False) for path in ("/investor/autoinvest", "/investor/autoinvest/{rule}")
]


def test_auto_invest_answers_investors_for_their_rules_and_admins_for_the_run(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    from tests.market.support import build

    world = build(container)
    world.offer(OWNER)
    world.investor("inv_1", cash=1_000)
    rule = world.market.autoinvest.rules.create("inv_1", rule_terms(grades=("G",)))
    assert _check(api, fake_auth, AUTOINVEST, {"rule": rule.id}) == []


def test_the_auto_invest_pages_open_to_investors_only(container: Container, api: TestClient) -> None:
    from tests.market.support import build

    world = build(container)
    world.investor("inv_1", cash=1_000)
    rule = world.market.autoinvest.rules.create("inv_1", rule_terms())
    assert _check_pages(container, api, AUTOINVEST_PAGES, {"rule": rule.id}) == []
