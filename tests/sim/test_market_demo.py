"""The demo as a simulated market: every login it prints works, the book is clean, the motivating case is there.

One run per backend under `us` (investors on): `fairlend verify` finds nothing; each printed operator
logs in with the printed password and a code from the printed TOTP secret; each printed borrower and
investor logs in with a one-time code from the development sender; some investors invest by hand and
some by rule, and notes changed hands on the market day; the first borrower repaid early, was still
called (blocked with P-2), and complained in their own words.
"""

from __future__ import annotations

import pyotp
import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.errors import Conflict
from fairlend.identity.model import OtpPurpose, Principal, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.sim.market_demo import MarketDemo, seed_market_demo
from fairlend.sim.simulate import SimConfig
from fairlend.web.session import SESSION_COOKIE

# Past the first market day (30) and long enough for the first borrower to pay once and settle.
SMALL = SimConfig(borrowers=6, investors=4, days=45, seed=3)


@pytest.fixture
def seeded(us_container: Container) -> MarketDemo:
    return seed_market_demo(us_container, SMALL)


def _log_in_by_phone(container: Container, phone: str, role: Role) -> Principal:
    sender = container.identity.sender
    assert isinstance(sender, DevMessageSender)
    container.identity.otp.send_code(phone, OtpPurpose.LOG_IN)
    code = sender.last_code(container.identity.otp.phone(phone).e164, OtpPurpose.LOG_IN.value)
    assert code is not None
    return container.identity.accounts.log_in(phone, code, role)


def test_the_simulated_demo_leaves_a_clean_book_with_investors_by_hand_and_by_rule_and_every_login_works(
    us_container: Container, seeded: MarketDemo
) -> None:
    assert us_container.verify() == []
    assert seeded.sim.eod_days == SMALL.days and us_container.eod.business_date() == seeded.sim.end
    assert len(seeded.borrowers) == SMALL.borrowers and sum(1 for b in seeded.borrowers if b.loan_id) >= 5
    assert {i.auto for i in seeded.investors} == {True, False}
    assert seeded.sim.trades["bought"] >= 1
    assert us_container.market is not None
    holders = {n.holder_id for b in seeded.borrowers if b.loan_id for n in us_container.market.notes.of_loan(b.loan_id)}
    assert holders & {i.person_id for i in seeded.investors}
    roles = {o.username: o.role for o in seeded.operators}
    # The docs' logins (docs/demo.md), and the finance officer whom no agent needs.
    assert {"admin", "underwriter", "collector", "compliance", "finance"} <= set(roles)
    for o in seeded.operators:
        assert o.password == f"demo-{o.username}-password"
        code = pyotp.TOTP(o.totp_secret).at(us_container.clock.now())
        who = us_container.identity.accounts.operator_log_in(o.username, o.password, code)
        assert who.role.value == o.role
    assert seeded.borrowers and seeded.investors
    for b in seeded.borrowers:
        assert _log_in_by_phone(us_container, b.phone, Role.BORROWER).subject_id == b.person_id
    for i in seeded.investors:
        assert _log_in_by_phone(us_container, i.phone, Role.INVESTOR).subject_id == i.person_id


def test_the_borrower_who_repaid_early_sees_the_blocked_call_and_their_complaint_and_a_second_seeding_is_refused(
    us_container: Container, seeded: MarketDemo
) -> None:
    first = seeded.borrowers[0]
    assert seeded.settled_borrower_id == first.person_id and first.state == "settled"
    assert "P-2" in seeded.blocked_rules and seeded.complaint_id
    collections = us_container.collections
    assert collections is not None
    blocked = [c for c in collections.service.contacts_about(first.person_id, first.loan_id) if c.outcome == "blocked"]
    assert blocked and all("P-2" in {r.rule for r in c.rules} for c in blocked)
    token, _ = us_container.identity.tokens.issue(Principal(first.person_id, Role.BORROWER), WEB_SESSION_TTL)
    with TestClient(create_app(container=us_container), client=("127.0.0.1", 50000)) as api:
        api.cookies.set(SESSION_COOKIE, token)
        page = api.get("/borrower/contacts?lang=en")
    assert page.status_code == 200 and "P-2" in page.text
    operators = us_container.identity.accounts.operators()
    with pytest.raises(Conflict) as refused:
        seed_market_demo(us_container, SMALL)
    assert refused.value.code == "demo_database_not_empty"
    assert us_container.identity.accounts.operators() == operators
