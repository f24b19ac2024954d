"""Hardship plans' pages: the borrower asks, follows the clock, accepts the numbers seen; the desk answers.

As the adversary would try: another borrower reaches nobody's request, offer or plan; the maker of a
proposal cannot approve it; an offer whose numbers changed cannot be accepted with the old ones; a
form without its CSRF token does nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.hardship.model import DeclineReason, Kind, PlanStatus, ProposalStatus, Reason, RequestStatus, Terms
from fairlend.identity.model import Role
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from tests.hardship.helpers import counts
from tests.hardship.support import CASH12
from tests.web.helpers import csrf, denied, field, sign_in

OWNER, OTHER = "brw_hardship_owner", "brw_hardship_other"
MAKER, CHECKER = "op_maker", "op_checker"


@pytest.fixture
def late_loan(container: Container) -> str:
    """¥50,000 over 12 months from 2025-11-02, the first installment paid, January's and February's not:
    on 2026-03-02 it is 59 days past due."""
    container.lending.products.define(CASH12)
    return container.lending.book_loan(
        OWNER,
        CASH12.code,
        Money(5_000_000, "CNY"),
        open_date=date(2025, 11, 2),
        repayments=[PastRepayment(date(2025, 12, 2), Money(458_400, "CNY"))],
    )


def _ask(api: TestClient, container: Container, loan: str, **form: str) -> str:
    """The borrower asks on the loan's page; the request's id."""
    sign_in(api, container, OWNER, Role.BORROWER)
    page = api.get(f"/borrower/loans/{loan}/hardship?lang=en")
    sent = api.post(
        f"/borrower/loans/{loan}/hardship",
        data={"plan_kind": "interest_stop", "reason": "job_loss", "csrf_token": csrf(page.text), **form},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    found = re.search(r"/borrower/hardship/(hrq_\w+)", sent.headers["location"])
    assert found
    return found.group(1)


def _propose(api: TestClient, container: Container, request_id: str, who: str, **terms: str) -> TestClient:
    sign_in(api, container, who, Role.UNDERWRITER)
    page = api.get(f"/operator/hardship/requests/{request_id}?lang=en")
    return api.post(  # type: ignore[return-value]
        f"/operator/hardship/requests/{request_id}/propose",
        data={"csrf_token": csrf(page.text), **terms},
        follow_redirects=False,
    )


def test_a_delinquent_borrower_asks_for_a_plan_and_sees_the_clock_in_both_languages(
    api: TestClient, container: Container, late_loan: str
) -> None:
    sign_in(api, container, OWNER, Role.BORROWER)
    loan_page = api.get(f"/borrower/loans/{late_loan}?lang=en").text
    assert f"/borrower/loans/{late_loan}/hardship" in loan_page
    form = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    assert "Interest stop, principal in instalments" in form and "I lost my job" in form
    assert "停息挂账" in api.get(f"/borrower/loans/{late_loan}/hardship?lang=zh-CN").text

    request_id = _ask(api, container, late_loan, income="6,000", expenses="4,500")
    view = container.hardship.request(request_id)
    assert (view.kind, view.reason, view.income, view.expenses) == (
        Kind.INTEREST_STOP,
        Reason.JOB_LOSS,
        600_000,
        450_000,
    )
    page = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    assert "15 days left to answer (by 2026-03-17)" in page and "Waiting for our answer" in page
    assert "P-10" in page
    chinese = api.get(f"/borrower/hardship/{request_id}?lang=zh-CN").text
    assert "距答复期限还有 15 天" in chinese and "等待答复" in chinese
    assert request_id in api.get("/borrower/hardship?lang=en").text

    asked = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    assert 'data-testid="open-request"' in asked and 'data-testid="ask-form"' not in asked
    again = api.post(  # a form drawn before: refused, nothing written
        f"/borrower/loans/{late_loan}/hardship",
        data={"plan_kind": "term_extension", "reason": "illness", "csrf_token": csrf(form)},
    )
    assert again.status_code == 409 and "has a request waiting for an answer already" in again.text


def test_only_the_kinds_the_profile_switches_on_are_offered_and_another_is_refused(
    api: TestClient, container: Container, late_loan: str
) -> None:
    rules = container.profile.hardship
    off = replace(rules, interest_stop=replace(rules.interest_stop, enabled=False))
    container.profile = replace(container.profile, hardship=off)
    sign_in(api, container, OWNER, Role.BORROWER)
    form = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    assert 'value="interest_stop"' not in form and 'value="term_extension"' in form
    before = counts(container)
    refused = api.post(
        f"/borrower/loans/{late_loan}/hardship",
        data={"plan_kind": "interest_stop", "reason": "job_loss", "csrf_token": csrf(form)},
    )
    assert refused.status_code == 422 and "Choose one of the kinds of plan offered." in refused.text
    assert counts(container) == before


def test_another_borrower_reaches_nobodys_request_offer_or_plan(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    offer = container.hardship.propose(request_id, Terms(Kind.INTEREST_STOP, periods=12), MAKER)
    if offer.needs_approval:
        container.hardship.approve(offer.proposal_id, CHECKER)
    sign_in(api, container, OWNER, Role.BORROWER)
    mine = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    token = csrf(mine)
    accept = {
        "csrf_token": token,
        "proposal_id": offer.proposal_id,
        "fingerprint": field(mine, "fingerprint"),
        "consent_version": field(mine, "consent_version"),
        "form_key": field(mine, "form_key"),
        "agreed": "1",
    }
    sign_in(api, container, OTHER, Role.BORROWER)
    for path in (f"/borrower/hardship/{request_id}", f"/borrower/loans/{late_loan}/hardship"):
        assert denied(api.get(path, follow_redirects=False)), path
    api.cookies.set("csrf_token", token)  # the thief even has a valid CSRF pair
    assert denied(api.post(f"/borrower/hardship/{request_id}/accept", data=accept, follow_redirects=False))
    assert denied(
        api.post(
            f"/borrower/loans/{late_loan}/hardship",
            data={"plan_kind": "term_extension", "reason": "other", "csrf_token": token},
            follow_redirects=False,
        )
    )
    assert container.hardship.request(request_id).status is RequestStatus.PROPOSED

    sign_in(api, container, OWNER, Role.BORROWER)
    done = api.post(f"/borrower/hardship/{request_id}/accept", data=accept, follow_redirects=False)
    assert done.status_code == 303
    plan_id = done.headers["location"].split("/")[-1].split("?")[0]
    sign_in(api, container, OTHER, Role.BORROWER)
    assert denied(api.get(f"/borrower/hardship/plans/{plan_id}", follow_redirects=False))


def test_the_maker_cannot_approve_and_a_second_operator_does(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan)
    made = _propose(api, container, request_id, MAKER, plan_kind="interest_stop", periods="12")
    assert made.status_code == 303 and made.headers["location"].endswith("done=awaiting_approval")  # type: ignore[attr-defined]
    (proposal,) = container.hardship.request(request_id).proposals
    assert proposal.status is ProposalStatus.AWAITING_APPROVAL
    page = api.get(f"/operator/hardship/requests/{request_id}?lang=en").text
    assert "You proposed it, so you cannot approve it." in page
    approve = f"/operator/hardship/requests/{request_id}/proposals/{proposal.proposal_id}/approve"
    refused = api.post(approve, data={"csrf_token": csrf(page)})
    assert refused.status_code == 403 and "a second operator must approve it" in refused.text
    assert container.hardship.proposal(proposal.proposal_id).status is ProposalStatus.AWAITING_APPROVAL
    sign_in(api, container, OWNER, Role.BORROWER)
    assert 'data-testid="offer"' not in api.get(f"/borrower/hardship/{request_id}?lang=en").text

    sign_in(api, container, CHECKER, Role.ADMIN)
    page = api.get(f"/operator/hardship/requests/{request_id}?lang=zh-CN").text
    assert "须经第二位操作员批准" in page
    done = api.post(approve, data={"csrf_token": csrf(page)}, follow_redirects=False)
    assert done.status_code == 303
    assert container.hardship.proposal(proposal.proposal_id).status is ProposalStatus.OFFERED
    # Of two checkers, the second finds it decided.
    late = api.post(approve, data={"csrf_token": csrf(page)})
    assert late.status_code == 409 and "另一位操作员已处理" in late.text


def test_a_borrower_cannot_accept_numbers_that_changed_and_is_shown_the_new_ones(
    api: TestClient, container: Container, late_loan: str, clock: FixedClock
) -> None:
    request_id = _ask(api, container, late_loan)
    offer = container.hardship.propose(request_id, Terms(Kind.TERM_EXTENSION, periods=3), MAKER)
    assert not offer.needs_approval
    sign_in(api, container, OWNER, Role.BORROWER)
    shown = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    old = field(shown, "fingerprint")
    assert "The plan&#39;s cost (new interest)" in shown or "The plan's cost (new interest)" in shown
    container.lending.repay(late_loan, Money(10_000, "CNY"), reference="a payment meanwhile")
    before = counts(container)
    form = {
        "csrf_token": csrf(shown),
        "proposal_id": offer.proposal_id,
        "fingerprint": old,
        "consent_version": field(shown, "consent_version"),
        "form_key": field(shown, "form_key"),
        "agreed": "1",
    }
    stale = api.post(f"/borrower/hardship/{request_id}/accept?lang=en", data=form)
    assert stale.status_code == 409 and "Here are the numbers as of today" in stale.text
    new = field(stale.text, "fingerprint")
    assert new != old and new == container.hardship.request(request_id).offer.outcome.fingerprint  # type: ignore[union-attr]
    assert counts(container) == before

    # Unticked, or under another consent text: refused too, nothing written.
    fresh = {**form, "fingerprint": new, "form_key": field(stale.text, "form_key")}
    assert api.post(f"/borrower/hardship/{request_id}/accept", data={**fresh, "agreed": ""}).status_code == 422
    other_text = {**fresh, "consent_version": "hardship-consent-v0", "form_key": "k" * 32}
    assert api.post(f"/borrower/hardship/{request_id}/accept", data=other_text).status_code == 422
    assert counts(container) == before

    done = api.post(f"/borrower/hardship/{request_id}/accept", data=fresh, follow_redirects=False)
    assert done.status_code == 303
    twice = api.post(f"/borrower/hardship/{request_id}/accept", data=fresh, follow_redirects=False)
    assert twice.headers["location"] == done.headers["location"]  # the same form again: the same plan
    (plan,) = container.hardship.plans_of_loan(late_loan)
    assert plan.status is PlanStatus.ACTIVE and plan.consent_version == "hardship-consent-v1"
    page = api.get(done.headers["location"] + "&lang=en").text
    assert "Kept so far" in page and "Still reported as" in page
    loan = api.get(f"/borrower/loans/{late_loan}?lang=en").text
    assert 'data-testid="schedule-version-1"' in loan and 'data-testid="schedule-version-2"' in loan
    assert "the schedule above, now in force" in loan and "replaced on 2026-03-02" in loan


def test_a_form_without_its_csrf_token_changes_nothing(api: TestClient, container: Container, late_loan: str) -> None:
    request_id = _ask(api, container, late_loan)
    before = counts(container)
    sign_in(api, container, MAKER, Role.UNDERWRITER)
    sent = api.post(
        f"/operator/hardship/requests/{request_id}/propose",
        data={"plan_kind": "term_extension", "periods": "3"},
        follow_redirects=False,
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/?csrf=1")
    sign_in(api, container, OWNER, Role.BORROWER)
    asked = api.get(f"/borrower/loans/{late_loan}/hardship?lang=en").text
    assert 'data-testid="open-request"' in asked and 'data-testid="ask-form"' not in asked
    again = api.post(  # a form drawn before: refused, nothing written
        f"/borrower/loans/{late_loan}/hardship",
        data={"plan_kind": "term_extension", "reason": "other"},
        follow_redirects=False,
    )
    assert (again.status_code, again.headers["location"]) == (303, "/?csrf=1")
    assert counts(container) == before


def test_the_desk_previews_lists_every_problem_with_its_rule_and_declines_with_reasons_in_words(
    api: TestClient, container: Container, late_loan: str
) -> None:
    request_id = _ask(api, container, late_loan, income="3000")
    sign_in(api, container, MAKER, Role.COLLECTOR)
    page = api.get(f"/operator/hardship/requests/{request_id}?lang=en").text
    assert "¥3,000.00" in page and "I lost my job" in page and "not stated" in page
    first_due = (container.clock.business_date() + timedelta(days=20)).isoformat()
    terms = {
        "plan_kind": "operator_reschedule",
        "first_due": first_due,
        "rate": "40",
        "periods": "1",
        "waive_fees": "99,999",
    }
    preview = api.post(f"/operator/hardship/requests/{request_id}/preview", data={"csrf_token": csrf(page), **terms})
    assert preview.status_code == 200
    assert 'data-code="rate_above_cap"' in preview.text and "The rate is above the cap." in preview.text
    assert "rule CN-21" in preview.text and 'data-code="waiver_exceeds_owed"' in preview.text
    assert 'data-code="grace_not_below_term"' not in preview.text
    before = counts(container)
    refused = api.post(f"/operator/hardship/requests/{request_id}/propose", data={"csrf_token": csrf(page), **terms})
    assert refused.status_code in (403, 422) and 'data-testid="refused"' in refused.text
    assert "rule CN-21" in refused.text and "It waives more than is owed." in refused.text
    assert counts(container) == before
    zh = api.post(
        f"/operator/hardship/requests/{request_id}/preview?lang=zh-CN", data={"csrf_token": csrf(page), **terms}
    )
    assert "利率超过上限" in zh.text and "规则 CN-21" in zh.text

    nothing = api.post(f"/operator/hardship/requests/{request_id}/decline?lang=en", data={"csrf_token": csrf(page)})
    assert nothing.status_code == 422 and "Tick at least one reason" in nothing.text
    declined = api.post(
        f"/operator/hardship/requests/{request_id}/decline",
        data={"csrf_token": csrf(page), "reasons": ["affordability", "incomplete"]},
        follow_redirects=False,
    )
    assert declined.status_code == 303
    assert container.hardship.request(request_id).decline_reasons == (
        DeclineReason.AFFORDABILITY.value,
        DeclineReason.INCOMPLETE.value,
    )
    sign_in(api, container, OWNER, Role.BORROWER)
    english = api.get(f"/borrower/hardship/{request_id}?lang=en").text
    assert "No plan we could offer fits what you told us you can pay." in english
    assert "根据您提供的收支情况" in api.get(f"/borrower/hardship/{request_id}?lang=zh-CN").text


def _days_later(clock: FixedClock, days: int) -> None:
    clock.advance(timedelta(days=days))
    clock.set_business_date(clock.business_date() + timedelta(days=days))


def test_the_queue_puts_the_nearest_deadline_first_and_flags_a_missed_one(
    api: TestClient, container: Container, late_loan: str, clock: FixedClock
) -> None:
    first = _ask(api, container, late_loan)
    _days_later(clock, 5)
    second_loan = container.lending.book_loan(OWNER, CASH12.code, Money(1_000_000, "CNY"), open_date=date(2026, 1, 5))
    second = _ask(api, container, second_loan)
    sign_in(api, container, "op_compliance", Role.COMPLIANCE)
    queue = api.get("/operator/hardship?lang=en").text
    assert queue.index(first) < queue.index(second) and 'data-testid="overdue"' not in queue
    assert 'data-testid="terms-form"' not in api.get(f"/operator/hardship/requests/{first}").text  # reads only
    _days_later(clock, 12)
    sign_in(api, container, "op_compliance", Role.COMPLIANCE)  # a session does not last twelve days
    late = api.get("/operator/hardship?lang=en").text
    assert "The answer is 2 days late (was due 2026-03-17)" in late
    assert "答复已逾期 2 天" in api.get("/operator/hardship?lang=zh-CN").text
    sign_in(api, container, OWNER, Role.BORROWER)
    assert "The answer is 2 days late" in api.get(f"/borrower/hardship/{first}?lang=en").text
