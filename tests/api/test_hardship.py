"""Hardship plans over the API: the borrower asks and accepts, operators propose, approve, decline.

Every bad input the issue names is a 4xx problem+json with a stable code and
writes nothing: an APR or rate over the cap, a plan past the product's
longest term, waiving more than is owed, re-aging more often than the profile
allows, a settled or charged-off loan, and the second of two approvals.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.hardship.plans import HardshipPlans, HardshipStep
from fairlend.identity.model import Role
from fairlend.jurisdiction.model import ReagePolicy
from fairlend.lending.eod import EndOfDay
from fairlend.lending.service import LendingService
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.hardship.helpers import CONSENT, counts
from tests.hardship.support import CASH12

OWNER = "brw_owner"
H = "/api/v1/hardship"


@pytest.fixture
def late_loan(container: Container) -> str:
    """Two installments missed (59 days past due on 2026-03-02), as in tests/hardship."""
    container.lending.products.define(replace(CASH12, max_term=18))
    return container.lending.book_loan(
        OWNER,
        CASH12.code,
        Money(1_000_000, "CNY"),
        open_date=date(2025, 11, 2),
        repayments=[PastRepayment(date(2025, 12, 2), Money(91_680, "CNY"))],
    )


def _headers(auth: FakeAuthenticator, role: Role, subject: str, key: str = "") -> dict[str, str]:
    return {**auth.headers(role, subject), **({"Idempotency-Key": key} if key else {})}


def _borrower(auth: FakeAuthenticator, key: str = "") -> dict[str, str]:
    return _headers(auth, Role.BORROWER, OWNER, key)


def _maker(auth: FakeAuthenticator) -> dict[str, str]:
    return _headers(auth, Role.UNDERWRITER, "op_maker")


def _checker(auth: FakeAuthenticator) -> dict[str, str]:
    return _headers(auth, Role.COLLECTOR, "op_checker")


def _file(api: TestClient, auth: FakeAuthenticator, loan_id: str, **extra: Any) -> dict[str, Any]:
    body = {"loan_id": loan_id, "kind": "interest_stop", "reason": "job_loss", **extra}
    response = api.post(H + "/requests", json=body, headers=_borrower(auth))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_borrower_asks_an_operator_proposes_another_approves_and_the_borrower_accepts(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    request = _file(api, fake_auth, late_loan, monthly_income="6000.00", monthly_expenses="4500.00")
    assert request["status"] == "pending" and request["days_left"] == 15
    assert request["monthly_income"] == {"amount": "6000.00", "minor": 600_000}
    queue = api.get(H + "/queue", headers=_maker(fake_auth)).json()
    assert [q["request_id"] for q in queue] == [request["id"]]
    terms = {"kind": "discounted_settlement", "amount": "6500.00", "pay_by": "2026-03-20"}
    proposed = api.post(f"{H}/requests/{request['id']}/proposals", json=terms, headers=_maker(fake_auth))
    assert proposed.status_code == 201, proposed.text
    proposal = proposed.json()
    assert proposal["status"] == "awaiting_approval" and proposal["needs_approval"]
    assert proposal["outcome"]["written_off_principal"]["minor"] > 0
    own = api.post(f"{H}/proposals/{proposal['id']}/approve", headers=_maker(fake_auth))
    assert refusal(own) == (403, "approver_is_proposer")
    approved = api.post(f"{H}/proposals/{proposal['id']}/approve", headers=_checker(fake_auth))
    assert approved.status_code == 200 and approved.json()["status"] == "offered"
    offer = api.get(f"{H}/requests/{request['id']}", headers=_borrower(fake_auth)).json()["offer"]
    assert offer["outcome"]["total_payable"] == {"amount": "6500.00", "minor": 650_000}
    body = {"fingerprint": offer["outcome"]["fingerprint"], "consent_version": CONSENT}
    no_key = api.post(f"{H}/proposals/{offer['id']}/accept", json=body, headers=_borrower(fake_auth))
    assert refusal(no_key) == (400, "idempotency_key_required")
    accepted = api.post(f"{H}/proposals/{offer['id']}/accept", json=body, headers=_borrower(fake_auth, "accept-1"))
    assert accepted.status_code == 201, accepted.text
    plan = accepted.json()
    assert plan["status"] == "active" and plan["schedule_version"] == 2 and plan["delinquency_held"]
    replay = api.post(f"{H}/proposals/{offer['id']}/accept", json=body, headers=_borrower(fake_auth, "accept-1"))
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    plans = api.get(f"{H}/loans/{late_loan}/plans", headers=_borrower(fake_auth)).json()
    assert [p["id"] for p in plans] == [plan["id"]]
    assert container.verify() == []


def test_an_operator_declines_with_reason_codes(api: TestClient, fake_auth: FakeAuthenticator, late_loan: str) -> None:
    request = _file(api, fake_auth, late_loan)
    declined = api.post(
        f"{H}/requests/{request['id']}/decline", json={"reasons": ["affordability"]}, headers=_maker(fake_auth)
    )
    assert declined.status_code == 200 and declined.json()["decline_reasons"] == ["affordability"]
    empty = api.post(f"{H}/requests/{request['id']}/decline", json={"reasons": []}, headers=_maker(fake_auth))
    assert refusal(empty) == (422, "validation_error")
    unknown = api.post(f"{H}/requests/{request['id']}/decline", json={"reasons": ["vibes"]}, headers=_maker(fake_auth))
    assert refusal(unknown) == (422, "validation_error")


@pytest.mark.parametrize(
    ("terms", "status", "code"),
    [
        ({"kind": "operator_reschedule", "rate": "0.30"}, 403, "rate_above_cap"),
        ({"kind": "term_extension", "periods": 7}, 422, "term_beyond_product_max"),
        ({"kind": "interest_stop", "periods": 12, "waive_penalty": "999999.00"}, 422, "waiver_exceeds_owed"),
        ({"kind": "interest_stop", "periods": 12, "waive_fees": "1.001"}, 422, "amount_too_precise"),
        ({"kind": "interest_stop", "periods": 12, "waive_fees": 1.5}, 422, "amount_invalid"),
        ({"kind": "payment_holiday", "periods": 9}, 422, "periods_out_of_range"),
        ({"kind": "discounted_settlement", "amount": "1.00", "pay_by": "2026-03-20"}, 422, "discount_beyond_type_max"),
        ({"kind": "no_such_kind"}, 422, "validation_error"),
    ],
)
def test_a_bad_proposal_is_a_problem_with_a_stable_code_and_writes_nothing(
    container: Container,
    api: TestClient,
    fake_auth: FakeAuthenticator,
    late_loan: str,
    terms: dict[str, Any],
    status: int,
    code: str,
) -> None:
    request = _file(api, fake_auth, late_loan)
    before = counts(container)
    response = api.post(f"{H}/requests/{request['id']}/proposals", json=terms, headers=_maker(fake_auth))
    assert refusal(response) == (status, code)
    assert counts(container) == before


def test_an_apr_over_the_cap_is_refused_naming_the_rule(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    # A loan written at 30 % when the platform's cap was 36 %: today's 24 % cap refuses its plans.
    then = container.profile
    then = replace(then, pricing=replace(then.pricing, apr_cap=Decimal("0.36"), overdue_interest_cap=Decimal("0.36")))
    older = LendingService(container.uow, container.ledger, then)
    older.products.define(replace(CASH12, code="dear-12", rate=Decimal("0.30")))
    loan = older.book_loan(OWNER, "dear-12", Money(1_000_000, "CNY"), open_date=date(2025, 12, 2))
    request = _file(api, fake_auth, loan)
    before = counts(container)
    response = api.post(
        f"{H}/requests/{request['id']}/proposals",
        json={"kind": "term_extension", "periods": 3},
        headers=_maker(fake_auth),
    )
    assert refusal(response) == (403, "apr_above_cap")
    assert response.json()["rules"] == ["CN-21"]
    assert counts(container) == before


def test_a_settled_or_charged_off_loan_is_a_conflict_and_nothing_is_written(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    request = _file(api, fake_auth, late_loan)
    container.lending.charge_off(late_loan)
    before = counts(container)
    terms = {"kind": "term_extension", "periods": 3}
    charged = api.post(f"{H}/requests/{request['id']}/proposals", json=terms, headers=_maker(fake_auth))
    assert refusal(charged) == (409, "loan_charged_off")
    assert counts(container) == before
    other = container.lending.book_loan(OWNER, CASH12.code, Money(500_000, "CNY"))
    container.lending.settle_early(other)
    settled = api.post(
        H + "/requests",
        json={"loan_id": other, "kind": "interest_stop", "reason": "illness"},
        headers=_borrower(fake_auth),
    )
    assert refusal(settled) == (409, "loan_settled")


def test_a_second_plan_re_aging_within_the_profiles_limit_is_refused(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    # The profile's re-age rule, tightened: one re-age a year, after one payment.
    policy = ReagePolicy("FFIEC", 1, False, 1, 2)
    profile = replace(container.profile, hardship=replace(container.profile.hardship, reage=policy))
    container.hardship = HardshipPlans(container.uow, container.clock, profile, container.lending)
    container.eod = EndOfDay(container.uow, container.ledger, profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    request = _file(api, fake_auth, late_loan)
    proposal = api.post(
        f"{H}/requests/{request['id']}/proposals",
        json={"kind": "interest_stop", "periods": 6},
        headers=_maker(fake_auth),
    ).json()
    plan = container.hardship.accept(proposal["id"], OWNER, proposal["outcome"]["fingerprint"], CONSENT)
    first = proposal["outcome"]["installments"][0]
    due = date.fromisoformat(first["due_date"])
    container.eod.run(through=due - timedelta(days=1))
    container.lending.repay(late_loan, Money(first["total"]["minor"], "CNY"))
    container.eod.run(through=due)
    assert container.hardship.plan(plan.plan_id).reaged_on == due
    # Broken at the next payment: delinquent again, and a new request within the year.
    second = date.fromisoformat(proposal["outcome"]["installments"][1]["due_date"])
    container.eod.run(through=second + timedelta(days=15))
    again = _file(api, fake_auth, late_loan)
    before = counts(container)
    response = api.post(
        f"{H}/requests/{again['id']}/proposals", json={"kind": "interest_stop", "periods": 6}, headers=_maker(fake_auth)
    )
    assert refusal(response) == (403, "reage_limit_reached")
    assert response.json()["rules"] == ["FFIEC"]
    assert counts(container) == before


def test_two_operators_approving_at_once_one_wins_over_http(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    from tests.market.support import race

    request = _file(api, fake_auth, late_loan)
    terms = {"kind": "discounted_settlement", "amount": "6500.00", "pay_by": "2026-03-20"}
    proposal = api.post(f"{H}/requests/{request['id']}/proposals", json=terms, headers=_maker(fake_auth)).json()
    statuses: list[int] = []

    def approve(who: str) -> None:
        headers = _headers(fake_auth, Role.ADMIN, who)
        statuses.append(api.post(f"{H}/proposals/{proposal['id']}/approve", headers=headers).status_code)

    race([lambda: approve("op_a"), lambda: approve("op_b")])
    assert sorted(statuses) == [200, 409]


def test_a_stale_offer_is_a_conflict_with_the_new_fingerprint(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, late_loan: str
) -> None:
    request = _file(api, fake_auth, late_loan)
    terms = {"kind": "term_extension", "periods": 3}
    proposal = api.post(f"{H}/requests/{request['id']}/proposals", json=terms, headers=_maker(fake_auth)).json()
    container.lending.repay(late_loan, Money(1_000, "CNY"))
    before = counts(container)
    body = {"fingerprint": proposal["outcome"]["fingerprint"], "consent_version": CONSENT}
    stale = api.post(f"{H}/proposals/{proposal['id']}/accept", json=body, headers=_borrower(fake_auth, "stale-1"))
    assert refusal(stale) == (409, "proposal_changed")
    assert stale.json()["fingerprint"] != body["fingerprint"]
    assert counts(container) == before
