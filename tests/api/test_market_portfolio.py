"""The portfolio and statements over HTTP: the investor's own figures, JSON and CSV, problems with stable codes."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.market.support import build, yuan


def test_an_investor_reads_their_portfolio_and_a_statement_in_json_and_csv(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, clock: FixedClock
) -> None:
    world = build(container)
    listing = world.offer()
    world.investor("inv_1", cash=12_000)
    world.investor("inv_2", cash=500)
    loan_id = world.market.commitments.invest("inv_1", listing, yuan(10_000)).loan_id
    assert loan_id
    start = clock.business_date()
    container.eod.run(through=start + timedelta(days=30))
    container.lending.repay(loan_id, yuan(1_000))
    container.eod.run(through=clock.business_date())
    headers = fake_auth.headers(Role.INVESTOR, "inv_1")

    body = api.get("/api/v1/market/portfolio", headers=headers).json()
    assert body["cash"]["minor"] == world.market.wallets.wallet("inv_1").cash.minor
    assert body["invested"]["amount"] == "10000.00"
    assert body["notes_by_status"]["current"]["count"] == 1
    assert int(body["principal_received"]["minor"]) > 0
    other = api.get("/api/v1/market/portfolio", headers=fake_auth.headers(Role.INVESTOR, "inv_2")).json()
    assert other["invested"]["minor"] == 0 and other["cash"]["amount"] == "500.00"  # only their own

    query = f"from={start.isoformat()}&to={clock.business_date().isoformat()}"
    statement = api.get(f"/api/v1/market/statements?{query}", headers=headers).json()
    assert statement["opening"]["minor"] == 0
    assert statement["closing"]["minor"] == body["cash"]["minor"]
    assert [line["kind"] for line in statement["lines"]] == [
        "investor_deposit",
        "loan_disbursement",
        "market_distribution",
    ]
    as_csv = api.get(f"/api/v1/market/statements?{query}&format=csv", headers=headers)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = as_csv.text.splitlines()
    assert rows[1].startswith(f"{start.isoformat()},opening_balance") and "closing_balance" in rows[-1]


def test_a_statement_that_ends_before_it_starts_is_a_problem(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    world = build(container)
    world.investor("inv_1", cash=100)
    got = api.get(
        "/api/v1/market/statements?from=2026-03-02&to=2026-03-01", headers=fake_auth.headers(Role.INVESTOR, "inv_1")
    )
    assert refusal(got) == (422, "statement_period_invalid")
